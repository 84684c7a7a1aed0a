"""The skill's error index (references/advanced-errors.md) as data: which references explain each DBOS error.

The checker adds them to the headline of an example that fails with a DBOS error, so whoever fixes the example
lands on the reference that says why the error is raised. The index is a Markdown table whose first cell names
one or more classes in backticks and whose last cell links the references that explain them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .model import Skill

INDEX = "references/advanced-errors.md"
CLASS = re.compile(r"`([A-Z]\w*(?:Error|Exception|Exceeded))`")
LINK = re.compile(r"\]\(([^)#\s]+\.md)")


def parse(text: str, folder: str = "references") -> dict[str, tuple[str, ...]]:
    """Class name -> paths (relative to the skill root) of the references its table row links."""
    index: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not line.lstrip().startswith("|"):
            continue
        links = tuple(f"{folder}/{target}" for target in LINK.findall(cells[-1]))
        for name in CLASS.findall(cells[0]):
            index.setdefault(name, links or (INDEX,))
    return index


def load(skill: Skill) -> dict[str, tuple[str, ...]]:
    """The index of `skill`, empty when it has no error index."""
    for reference in skill.references:
        if reference.path == INDEX:
            return parse(reference.doc.text)
    return {}


def hint(exception_name: str | None, index: Mapping[str, tuple[str, ...]]) -> str:
    """` (see a.md, b.md)` for an indexed DBOS error, else ''."""
    if not exception_name or exception_name not in index:
        return ""
    return f" (see {', '.join(index[exception_name])})"
