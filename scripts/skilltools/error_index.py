"""The skill's error index (references/advanced-errors.md) as data: which references explain each DBOS error.

The checker adds them to the headline of an example that fails with a DBOS error, so whoever fixes the example
lands on the reference that says why the error is raised. The index is a Markdown table whose first cell names
one or more classes in backticks and whose last cell links the references that explain them; the links come
from the parsed model, resolved as everywhere else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping

from .model import Document, Link, Skill

INDEX = "references/advanced-errors.md"
CLASS = re.compile(r"`([A-Z]\w*(?:Error|Exception|Exceeded))`")


def parse(doc: Document) -> dict[str, tuple[str, ...]]:
    """Class name -> skill-relative paths of the references its table row links in its last cell (the index
    itself when the row links none)."""
    by_line: dict[int, list[Link]] = defaultdict(list)
    for link in doc.links:
        by_line[link.line].append(link)
    index: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(doc.text.splitlines(), 1):
        row = line.strip()
        if not row.startswith("|"):
            continue
        last_cell = line.rstrip().rstrip("|").rfind("|")  # column of the last cell's opening bar
        targets = [
            link.resolved
            for link in by_line[number]
            if not link.external and (link.column is None or link.column >= last_cell)
        ]
        explained = tuple(dict.fromkeys(t for t in targets if t)) or (doc.path,)
        for name in CLASS.findall(row.strip("|").split("|")[0]):
            index.setdefault(name, explained)
    return index


def load(skill: Skill) -> dict[str, tuple[str, ...]]:
    """The index of `skill`, empty when it has no error index."""
    for reference in skill.references:
        if reference.path == INDEX:
            return parse(reference.doc)
    return {}


def hint(exception_name: str | None, index: Mapping[str, tuple[str, ...]]) -> str:
    """` (see a.md, b.md)` for an indexed DBOS error, else ''."""
    if not exception_name or exception_name not in index:
        return ""
    return f" (see {', '.join(index[exception_name])})"
