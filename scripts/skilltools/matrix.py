"""The version matrix: every example of the skill, judged as usual, under several dbos releases.

Each release gets its own cached venv (`venvs.py`); the checker of this checkout runs inside it
(`python -m skilltools.cli check-examples --json`), so the programs and the judging (`expect=`, `lint=`,
`continues`) are exactly those of `make test`. One release failing to install or to run never stops the
others: it is recorded as a setup error for that column.

A block fenced with `before="<3"` is 2.x code kept to show what an upgrade replaces: on releases inside that
range it must run as written (exit 0), elsewhere its `expect=` applies as usual.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from . import examples
from .compat import FileVerdict, before_range
from .model import Skill
from .venvs import VenvError, ensure_venv


@dataclass(frozen=True)
class BlockResult:
    """One program on one database under one release."""

    path: str
    line: int
    database: str
    passed: bool
    headline: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line} [{self.database}]"


@dataclass(frozen=True)
class VersionRun:
    """Everything one release did; `error` is set when the release could not be installed or run at all."""

    version: str
    results: tuple[BlockResult, ...] = ()
    error: str | None = None
    seconds: float = 0.0

    def file_results(self, path: str) -> list[BlockResult]:
        return [r for r in self.results if r.path == path]


@dataclass
class Matrix:
    versions: list[str]
    databases: list[str]
    verdicts: dict[str, dict[str, FileVerdict]] = field(default_factory=dict)
    """file → version → verdict."""
    blocks: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """`path:line` → version → failing databases (empty list: passed everywhere it ran)."""


def rejudge(result: dict[str, Any], version: str, before: SpecifierSet | None) -> BlockResult:
    """The checker's judgement, except that a `before=` block must simply run on releases in its range."""
    passed, headline = bool(result["passed"]), str(result["headline"])
    if before is not None and Version(version) in before:
        ran_clean = result.get("exit_code") == 0 and not result.get("exception")
        passed = ran_clean
        headline = "ran as written" if ran_clean else f"should run as written on {version}: {headline}"
    return BlockResult(str(result["path"]), int(result["line"]), str(result["database"]), passed, headline)


def run_version(
    root: Path,
    skill: Skill,
    version: str,
    databases: Sequence[str],
    jobs: int | None,
    log: Path | None = None,
    pattern: str | None = None,
) -> VersionRun:
    """Install (once) and run every example under `version`; never raises for a broken release."""
    started = time.monotonic()
    try:
        env = ensure_venv(root, version, log=log)
    except VenvError as error:
        return VersionRun(version, error=str(error))
    befores = {(p.path, p.line): before_range(p.settings) for p in examples.plan(skill, pattern)}
    results: list[BlockResult] = []
    with tempfile.TemporaryDirectory(prefix="skill-matrix-") as tmp:
        report = Path(tmp) / "outcomes.json"
        db = "both" if len(databases) > 1 else databases[0]
        command = [str(env.python), "-m", "skilltools.cli", "check-examples", str(root), "--db", db]
        command += ["--json", str(report)] + (["--jobs", str(jobs)] if jobs else [])
        command += ["-k", pattern] if pattern else []
        environment = {**os.environ, "PYTHONPATH": str(root / "scripts")}
        done = subprocess.run(command, capture_output=True, text=True, env=environment, stdin=subprocess.DEVNULL)
        if log is not None:
            with log.open("a") as out:
                out.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        if not report.exists():
            lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
            why = f"the checker did not run (exit {done.returncode}): {lines[-1]}"
            return VersionRun(version, error="\n".join([why, *lines[-6:-1]]))
        for raw in json.loads(report.read_text()):
            results.append(rejudge(raw, version, befores.get((raw["path"], raw["line"]))))
    return VersionRun(version, tuple(results), seconds=time.monotonic() - started)


def build(skill: Skill, runs: Iterable[VersionRun], databases: Sequence[str], pattern: str | None = None) -> Matrix:
    """Fold runs into file x version verdicts (a file passes on a release when all its blocks do).

    With `pattern` (as `check-examples -k`), only the files that have a matching program are in the matrix."""
    runs = list(runs)
    matrix = Matrix([r.version for r in runs], list(databases))
    programs = examples.plan(skill, pattern)
    paths = sorted({p.path for p in programs})
    for path in paths:
        matrix.verdicts[path] = {}
        for run in runs:
            matrix.verdicts[path][run.version] = _verdict(run, path)
    for program in programs:
        where = f"{program.path}:{program.line}"
        matrix.blocks[where] = {}
        for run in runs:
            if run.error is None:
                mine = (r for r in run.results if (r.path, r.line) == (program.path, program.line))
                matrix.blocks[where][run.version] = sorted(r.database for r in mine if not r.passed)
    return matrix


def _verdict(run: VersionRun, path: str) -> FileVerdict:
    if run.error is not None:
        return FileVerdict(False, run.error.splitlines()[0])
    results = run.file_results(path)
    if not results:
        return FileVerdict(False, "no result (the checker skipped this file)")
    failing = [r for r in results if not r.passed]
    if failing:
        first = min(failing, key=lambda r: (r.line, r.database))
        return FileVerdict(False, f"{first.where} {first.headline}")
    return FileVerdict(True)


def run_all(
    root: Path,
    skill: Skill,
    versions: Sequence[str],
    databases: Sequence[str],
    jobs: int | None,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    log: Path | None = None,
    pattern: str | None = None,
) -> list[VersionRun]:
    runs = []
    for index, version in enumerate(versions, 1):
        progress(f"[{index}/{len(versions)}] dbos {version}: installing (cached after the first run) and checking")
        run = run_version(root, skill, version, databases, jobs, log, pattern)
        failed = sum(not r.passed for r in run.results)
        state = f"setup failed: {run.error.splitlines()[0]}" if run.error else f"{failed} failing of {len(run.results)}"
        progress(f"[{index}/{len(versions)}] dbos {version}: {state} ({run.seconds:.0f} s)")
        runs.append(run)
    return runs
