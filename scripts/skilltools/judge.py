"""The verdict on one run: a pure function of the program, its run result and its lint finding.

No processes, files or databases here, so every rule of docs/authoring.md's table is unit-testable with a
hand-made `RunResult`.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from . import error_index
from .model import Program
from .runner.protocol import ExceptionRecord, RunResult


@dataclass(frozen=True)
class Outcome:
    program: Program
    database: str
    passed: bool
    headline: str
    exit_code: int | None = None
    exception: str | None = None
    duration: float = 0.0
    output: str = ""
    """Tail of stdout and stderr, temp paths rewritten to Markdown lines."""

    @property
    def id(self) -> str:
        return f"{self.program}[{self.database}]"

    def render(self) -> str:
        lines = [f"{self.program}: [{self.database}] {self.headline}", ""]
        width = len(str(max(self.program.line_map, default=0)))
        numbered = zip(self.program.line_map, self.program.source.splitlines(), strict=False)
        lines += [f"  {n:>{width}} | {text}" for n, text in numbered]
        if self.output.strip():
            lines += ["", "  output (tail):"] + [f"    {text}" for text in self.output.rstrip().splitlines()]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.program.path,
            "line": self.program.line,
            "database": self.database,
            "passed": self.passed,
            "headline": self.headline,
            "exit_code": self.exit_code,
            "exception": self.exception,
            "duration": self.duration,
        }


def _clip(text: str, limit: int = 200) -> str:
    """The first line of a message, at most `limit` characters; ` ...` when anything was cut."""
    text = text.strip()
    first = text.split("\n", 1)[0][:limit]
    return first if first == text else first + " ..."


def judge(
    program: Program,
    database: str,
    result: RunResult,
    lint_problem: str | None,
    output: str = "",
    errors: Mapping[str, tuple[str, ...]] | None = None,
) -> Outcome:
    """The verdict on one run, following docs/authoring.md's table. `output` is what to show with it;
    `errors` (the skill's error index) names the references that explain a DBOS error the run raised."""
    expect = program.expect

    def matches(record: ExceptionRecord) -> bool:
        return bool(expect and record.matches and expect.accepts_message(record.message))

    records = result.exceptions
    shown = next((r for r in records if not matches(r)), records[0]) if records else None
    code = result.exit_code

    def outcome(passed: bool, headline: str) -> Outcome:
        qualified = shown.qualified if shown else None
        return Outcome(program, database, passed, headline, code, qualified, result.duration, output)

    if result.runner_error:
        return outcome(False, result.runner_error)
    if result.interrupted:
        return outcome(False, "interrupted")
    if result.timed_out:
        return outcome(False, f"timed out after {program.timeout:g}s (raise timeout= or make it faster)")
    if result.leftovers:
        return outcome(False, f"left processes running after it ended: {'; '.join(result.leftovers)}")
    got = f"{shown.name}: {_clip(shown.message)}".strip() if shown else f"exit {code}"
    got += error_index.hint(shown.name if shown else None, errors or {})
    if expect:
        if not (records and all(matches(r) for r in records)):
            return outcome(False, f"expected {expect}, got {got}")
    elif code != 0:
        unreachable = "Network is unreachable" in result.output + (shown.message if shown else "")
        hint = " (examples run without network)" if unreachable else ""
        return outcome(False, f"failed: {got}{hint}")
    if lint_problem:
        return outcome(False, lint_problem)
    return outcome(True, "passed")


def load_linter(root: Path) -> ModuleType | None:
    """scripts/dbos_lint.py of the skill under check, loaded by path (it ships standalone)."""
    path = root / "scripts" / "dbos_lint.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_skill_dbos_lint", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def lint_verdict(program: Program, linter: ModuleType | None) -> str | None:
    """Why the program fails its lint expectation, or None when it meets it."""
    wanted = program.settings.get("lint")
    if linter is None:
        return "linter not available (scripts/dbos_lint.py is missing)" if wanted else None
    opt_in = [wanted] if wanted else []  # an opt-in rule (DBOS104) is checked when the block names it
    findings = linter.lint_source(program.source, program.path, opt_in=opt_in)
    if wanted:
        if any(f.id == wanted for f in findings):
            return None
        found = ", ".join(sorted({f.id for f in findings})) or "nothing"
        return f"expected linter finding {wanted}, found {found}"
    if "expect" in program.settings:
        return None  # an Incorrect example proven at run time may also trip the linter
    if findings:
        first = findings[0]
        return f"linter reported {first.id} at {program.path}:{program.md_line(first.line)}: {first.message}"
    return None
