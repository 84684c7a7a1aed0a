"""API coverage and drift: which parts of the installed dbos the skill teaches, and which names it uses
that dbos does not have.

- `inventory()` (dbos_api) lists what dbos offers; `skill_uses.scan()` finds the uses.
- `compute()` joins them with `coverage-exclusions.yaml` into a `Coverage`: one status per item, plus the
  problems (drift, stale or wrong exclusions). `check_baseline()` adds regressions against the committed
  `docs/coverage-baseline.json`. render.py renders the table, JSON and `docs/coverage.md`.

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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Problem, Skill
from ..rules import problem
from .dbos_api import Api, ApiItem, introspect, inventory
from .exclusions import EXCLUSIONS_FILE, Exclusions, Status, check_entries, load_exclusions
from .program_uses import Unknown, Use
from .skill_uses import scan

__all__ = ["Coverage", "compute", "drift", "find_uses", "inventory", "load_exclusions"]

REPORT_FILE = "docs/coverage.md"
BASELINE_FILE = "docs/coverage-baseline.json"


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
            problem(u.id, u.path, u.line, detail=f"{u.message} {hint}")
            for u in unknown
            if exclusions.find("absent", u.category, u.name) is None
        }
    )


def drift(skill: Skill, api: Api | None = None, exclusions: Exclusions | None = None) -> list[Problem]:
    """Names the skill uses as dbos API that the installed dbos lacks (and that are not declared absent)."""
    exclusions = load_exclusions(skill.root) if exclusions is None else exclusions
    return _drift(scan(skill, api or introspect())[1], exclusions)


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
    problems = check_entries(api, exclusions, statuses, unknown) + _drift(unknown, exclusions)
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
        return [problem("COV202", BASELINE_FILE, 1, detail=message)]
    now = coverage.strong_names()
    lines = text.split("\n")
    problems = []
    for category, names in baseline.items():
        start = next((n for n, text in enumerate(lines) if text.strip().startswith(json.dumps(category) + ":")), 0)
        for name in sorted(set(names) - set(now.get(category, []))):
            line = next((n + 1 for n in range(start, len(lines)) if lines[n].strip(" ,") == json.dumps(name)), 1)
            message = f"{category}: {name} is no longer used in a Correct example (the baseline has it)"
            problems.append(problem("COV201", BASELINE_FILE, line, detail=message))
    return problems
