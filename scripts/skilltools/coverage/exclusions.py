"""coverage-exclusions.yaml: items the skill deliberately leaves out (`excluded`) and names it mentions on
purpose although dbos lacks them (`absent`), each entry checked against the installed dbos and the skill."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..model import Problem
from ..parse import ParseError, load_yaml, read_text
from ..rules import problem
from .dbos_api import CLASSES, Api
from .program_uses import Unknown

EXCLUSIONS_FILE = "coverage-exclusions.yaml"
SECTIONS = {
    "excluded": "items of the installed dbos the skill deliberately does not teach",
    "absent": "names the skill mentions on purpose although dbos lacks them (removed APIs it warns against)",
}
Status = Literal["strong", "weak", "missing", "excluded"]
_KEY_LINE = re.compile(r"^(\s*)(['\"]?)([^'\"#:]+?)\2\s*:")


@dataclass(frozen=True)
class Entry:
    section: str
    category: str
    name: str
    reason: str
    line: int


@dataclass(frozen=True)
class Exclusions:
    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()

    def find(self, section: str, category: str, name: str) -> Entry | None:
        return next((e for e in self.entries if (e.section, e.category, e.name) == (section, category, name)), None)


def _entry_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line of each section, category and name key, from the block-style YAML's indentation."""
    lines: dict[tuple[str, ...], int] = {}
    path: list[tuple[int, str]] = []
    for number, text_line in enumerate(text.split("\n"), start=1):
        match = _KEY_LINE.match(text_line)
        if not match or text_line.lstrip().startswith("#"):
            continue
        indent = len(match.group(1))
        while path and path[-1][0] >= indent:
            path.pop()
        path.append((indent, match.group(3).strip()))
        lines.setdefault(tuple(key for _, key in path), number)
    return lines


def load_exclusions(root: Path) -> Exclusions:
    """Read `coverage-exclusions.yaml` (`{section: {category: {name: reason}}}`); a missing file is empty."""
    if not (root / EXCLUSIONS_FILE).exists():
        return Exclusions()
    try:
        text = read_text(root, EXCLUSIONS_FILE)
        data, _ = load_yaml(text, EXCLUSIONS_FILE)
    except ParseError as error:
        return Exclusions(problems=(error.problem,))
    lines = _entry_lines(text)
    entries: list[Entry] = []
    problems: list[Problem] = []

    def bad(key: tuple[str, ...], message: str) -> None:
        problems.append(problem("COV106", EXCLUSIONS_FILE, lines.get(key, 1), detail=message))

    if not isinstance(data, dict):
        return Exclusions(problems=(problem("COV106", EXCLUSIONS_FILE, 1, detail="expected a mapping of sections"),))
    for section, categories in data.items():
        if section not in SECTIONS:
            bad((str(section),), f"unknown section {section!r}; expected one of: {', '.join(SECTIONS)}")
            continue
        if not isinstance(categories, dict):
            bad((section,), f"{section}: expected a mapping of category -> {{name: reason}}")
            continue
        for category, names in categories.items():
            if not isinstance(names, dict):
                bad((section, str(category)), f"{section}.{category}: expected a mapping of name -> reason")
                continue
            for name, reason in names.items():
                key = (section, str(category), str(name))
                if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
                    bad(key, f"{category}: {name}: give a one-line reason")
                    continue
                entries.append(Entry(section, str(category), str(name), reason.strip(), lines.get(key, 1)))
    return Exclusions(tuple(entries), tuple(problems))


def exists(api: Api, category: str, name: str) -> bool | None:
    """Whether the installed dbos has `name` in `category`; None when the category means nothing."""
    if category in CLASSES:
        return api.has(f"dbos.{category}", name)
    if category in ("dbos", "dbos.error"):
        return api.has(category, name)
    if category in api.typed_dicts:
        return name in api.typed_dicts[category]
    if category.endswith("()") and api.callable(f"dbos.{category[:-2]}") is not None:
        keywords = api.keywords(f"dbos.{category[:-2]}")
        return keywords is None or name in keywords
    if category.startswith("from dbos"):
        return api.resolve_import(category.removeprefix("from "), name) is not None
    return None


def check_entries(
    api: Api, exclusions: Exclusions, statuses: dict[tuple[str, str], Status], unknown: Sequence[Unknown]
) -> list[Problem]:
    problems = list(exclusions.problems)
    mentioned = {(u.category, u.name) for u in unknown}
    for entry in exclusions.entries:
        label = f"{entry.category}: {entry.name}"
        found = exists(api, entry.category, entry.name)
        if entry.section == "excluded":
            status = statuses.get((entry.category, entry.name))
            if entry.category not in api.categories():
                found_id, message = "COV101", f"unknown category; expected one of: {', '.join(api.categories())}"
            elif status is None:
                found_id, message = "COV102", f"{label} is excluded, but dbos {api.version} has no such item"
            elif status == "strong":
                found_id, message = "COV103", f"{label} is excluded, but an example teaches it"
            else:
                continue
        elif found is None:
            found_id, message = "COV101", f"unknown category {entry.category!r} for an absent name"
        elif found:
            found_id, message = "COV104", f"{label} is listed as absent, but dbos {api.version} has it"
        elif (entry.category, entry.name) not in mentioned:
            found_id, message = "COV105", f"{label} is listed as absent, but the skill no longer names it"
        else:
            continue
        fix = "" if found_id == "COV101" else "; remove the entry"
        problems.append(problem(found_id, EXCLUSIONS_FILE, entry.line, detail=message + fix))
    return problems
