"""API coverage and drift: which parts of the installed dbos the skill teaches, and which names it uses
that dbos does not have.

- `inventory()` (coverage_api) lists what dbos offers; `coverage_scan.scan()` finds the uses.
- `compute()` joins them with `coverage-exclusions.yaml` into a `Coverage`: one status per item, plus the
  problems (drift, stale or wrong exclusions). `check_baseline()` adds regressions against the committed
  `docs/coverage-baseline.json`. coverage_report renders the table, JSON and `docs/coverage.md`.

Statuses: **strong** = used in a Correct or unlabelled python example (each one is proven to pass by the
example checker in the test suite); **weak** = only named in prose or in an Incorrect example; **missing**;
**excluded** = deliberately left out, with a reason.

Problem ids. Drift (at the skill's file:line): COV001 no such member (`DBOS.x`, `client.x`, `error.X`),
COV002 no such import, COV003 no such TypedDict key (`DBOSConfig`...), COV004 no such keyword argument.
Exclusions file: COV101 unknown category, COV102 excluded item does not exist, COV103 excluded item is taught,
COV104 `absent` name exists, COV105 `absent` name no longer mentioned, COV106 malformed entry. Baseline:
COV201 an item lost its strong coverage, COV202 unreadable baseline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .coverage_api import CLASSES, Api, ApiItem, introspect, inventory
from .coverage_code import Unknown, Use
from .coverage_scan import scan
from .model import Problem, Skill
from .parse import ParseError, load_yaml, read_text

__all__ = ["Coverage", "compute", "drift", "find_uses", "inventory", "load_exclusions"]

EXCLUSIONS_FILE = "coverage-exclusions.yaml"
REPORT_FILE = "docs/coverage.md"
BASELINE_FILE = "docs/coverage-baseline.json"
SECTIONS = {
    "excluded": "items of the installed dbos the skill deliberately does not teach",
    "absent": "names the skill mentions on purpose although dbos lacks them (removed APIs it warns against)",
}
Status = Literal["strong", "weak", "missing", "excluded"]
_KEY_LINE = re.compile(r"^(\s*)(['\"]?)([^'\"#:]+?)\2\s*:")


# --- exclusions ------------------------------------------------------------------------------------------


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
        problems.append(Problem(EXCLUSIONS_FILE, lines.get(key, 1), "COV106", message))

    if not isinstance(data, dict):
        return Exclusions(problems=(Problem(EXCLUSIONS_FILE, 1, "COV106", "expected a mapping of sections"),))
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


# --- coverage --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemCoverage:
    item: ApiItem
    status: Status
    strong: tuple[Use, ...]
    weak: tuple[Use, ...]
    reason: str = ""


@dataclass(frozen=True)
class CategoryCoverage:
    name: str
    items: tuple[ItemCoverage, ...]

    def count(self, status: Status) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def total(self) -> int:
        """Items that should be covered (everything not excluded)."""
        return len(self.items) - self.count("excluded")

    @property
    def percent(self) -> float:
        return 100.0 * self.count("strong") / self.total if self.total else 100.0


@dataclass(frozen=True)
class Coverage:
    version: str
    categories: tuple[CategoryCoverage, ...]
    problems: tuple[Problem, ...]

    def strong_names(self) -> dict[str, list[str]]:
        return {c.name: [i.item.name for i in c.items if i.status == "strong"] for c in self.categories}


def find_uses(skill: Skill, api: Api | None = None) -> list[Use]:
    """Every use of a dbos API name in the skill, strong (Correct examples) or weak (prose, Incorrect)."""
    return scan(skill, api or introspect())[0]


def _drift(unknown: Sequence[Unknown], exclusions: Exclusions) -> list[Problem]:
    hint = f"(named on purpose, e.g. a removed API? list it under `absent:` in {EXCLUSIONS_FILE})"
    return sorted(
        {
            Problem(u.path, u.line, u.id, f"{u.message} {hint}")
            for u in unknown
            if exclusions.find("absent", u.category, u.name) is None
        }
    )


def drift(skill: Skill, api: Api | None = None, exclusions: Exclusions | None = None) -> list[Problem]:
    """Names the skill uses as dbos API that the installed dbos lacks (and that are not declared absent)."""
    exclusions = load_exclusions(skill.root) if exclusions is None else exclusions
    return _drift(scan(skill, api or introspect())[1], exclusions)


def _check_entries(
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
        problems.append(Problem(EXCLUSIONS_FILE, entry.line, found_id, message + fix))
    return problems


def compute(skill: Skill, api: Api | None = None, exclusions: Exclusions | None = None) -> Coverage:
    api = api or introspect()
    exclusions = load_exclusions(skill.root) if exclusions is None else exclusions
    uses, unknown = scan(skill, api)
    items = api.items()
    owner = {(item.category, variant): item for item in items for variant in item.variants}
    found: dict[ApiItem, list[Use]] = {}
    for use in uses:
        item = owner.get((use.category, use.name))
        if item is not None:
            found.setdefault(item, []).append(use)
    results: dict[str, list[ItemCoverage]] = {category: [] for category in api.categories()}
    statuses: dict[tuple[str, str], Status] = {}
    for item in items:
        strong = tuple(sorted({u for u in found.get(item, []) if u.strength == "strong"}, key=_where))
        weak = tuple(sorted({u for u in found.get(item, []) if u.strength == "weak"}, key=_where))
        entry = exclusions.find("excluded", item.category, item.name)
        status: Status = "strong" if strong else "excluded" if entry else "weak" if weak else "missing"
        results[item.category].append(ItemCoverage(item, status, strong, weak, entry.reason if entry else ""))
        statuses[(item.category, item.name)] = status
    problems = _check_entries(api, exclusions, statuses, unknown) + _drift(unknown, exclusions)
    categories = tuple(CategoryCoverage(name, tuple(found_items)) for name, found_items in results.items())
    return Coverage(api.version, categories, tuple(problems))


def _where(use: Use) -> tuple[str, int]:
    return use.path, use.line


# --- baseline --------------------------------------------------------------------------------------------


def baseline_text(coverage: Coverage) -> str:
    data = {"dbos": coverage.version, "strong": coverage.strong_names()}
    return json.dumps(data, indent=2) + "\n"


def check_baseline(coverage: Coverage, root: Path) -> list[Problem]:
    """Every item strongly covered in the committed baseline must still be strongly covered."""
    path = root / BASELINE_FILE
    if not path.exists():
        return []
    text = path.read_text("utf-8")
    try:
        data: Any = json.loads(text)
        baseline = {str(k): [str(n) for n in v] for k, v in data["strong"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        message = f"unreadable baseline ({error}); rewrite it with --update-baseline"
        return [Problem(BASELINE_FILE, 1, "COV202", message)]
    now = coverage.strong_names()
    lines = text.split("\n")
    problems = []
    for category, names in baseline.items():
        start = next((n for n, text in enumerate(lines) if text.strip().startswith(json.dumps(category) + ":")), 0)
        for name in sorted(set(names) - set(now.get(category, []))):
            line = next((n + 1 for n in range(start, len(lines)) if lines[n].strip(" ,") == json.dumps(name)), 1)
            message = f"{category}: {name} is no longer used in a Correct example (the baseline has it)"
            problems.append(Problem(BASELINE_FILE, line, "COV201", message))
    return problems
