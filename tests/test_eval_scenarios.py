"""Every eval scenario means something: its solution passes its acceptance tests on SQLite and PostgreSQL,
its untouched starter fails every one of them, and every mutant in mutants.yaml fails at least one.

Each check is one ``python -m pytest evals/<scenario>/acceptance --workdir <copy> --db <db>`` run in a
temporary copy (nothing is written into the repository). The runs the selected tests need are started
together in a thread pool (EVALS_JOBS, default 3 per core) and each test waits for its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EVALS = REPO / "evals"
sys.path.insert(0, str(REPO / "scripts"))
import dbos_lint  # noqa: E402

SCENARIOS = sorted(p.parent.name for p in EVALS.glob("*/prompt.md"))
RUN_TIMEOUT = 240.0  # seconds per acceptance run; a hang fails that run, not the session
PG_ENV = "DBOS_TEST_POSTGRES_URL"
MUTANT_KEYS = {"name", "why", "file", "old", "new"}
OPTIONAL_MUTANT_KEYS = {"fails"}  # the acceptance test it fails: `make test` runs only that one (faster)


@dataclass(frozen=True)
class Mutant:
    name: str
    why: str
    file: str
    old: str
    new: str
    fails: str = ""


@dataclass(frozen=True)
class Job:
    """One acceptance run: a scenario's variant ("solution", "starter" or "mutant:<name>") on one database."""

    scenario: str
    variant: str
    db: str


@dataclass(frozen=True)
class RunResult:
    outcomes: dict[str, str]  # test name -> passed | failed | error | skipped
    returncode: int
    output: str
    seconds: float

    def report(self) -> str:
        return f"exit {self.returncode} in {self.seconds:.1f}s, outcomes {self.outcomes}\n{self.output[-6000:]}"


def load_mutants(scenario: str) -> list[Mutant]:
    path = EVALS / scenario / "mutants.yaml"
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a non-empty list of mutants")
    mutants = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not MUTANT_KEYS <= set(entry) <= MUTANT_KEYS | OPTIONAL_MUTANT_KEYS:
            raise ValueError(f"{path}: mutant {index}: expected the keys {sorted(MUTANT_KEYS)} (and optionally fails)")
        mutants.append(Mutant(**{key: str(value) for key, value in entry.items()}))
    return mutants


def _mutant(job: Job) -> Mutant:
    return next(m for m in load_mutants(job.scenario) if m.name == job.variant.removeprefix("mutant:"))


def prepare(job: Job, dest: Path) -> Path:
    """Copy the code under test for ``job`` into dest/work and return that folder."""
    work = dest / "work"
    source = EVALS / job.scenario / ("starter" if job.variant == "starter" else "solution")
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("__pycache__", ".gitkeep"))
    if job.variant.startswith("mutant:"):
        mutant = _mutant(job)
        target = work / mutant.file
        text = target.read_text()
        assert text.count(mutant.old) == 1, f"{job.scenario} mutant {mutant.name}: `old` must occur exactly once"
        target.write_text(text.replace(mutant.old, mutant.new))
    return work


def parse_junit(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    outcomes: dict[str, str] = {}
    rank = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
        name = case.get("name", "?")
        if rank[outcome] >= rank.get(outcomes.get(name, "passed"), 0):
            outcomes[name] = outcome
    return outcomes


def run_job(job: Job) -> RunResult:
    with tempfile.TemporaryDirectory(prefix=f"eval-{job.scenario}-") as tmp:
        work = prepare(job, Path(tmp))
        junit = Path(tmp) / "junit.xml"
        args = [
            sys.executable,
            "-m",
            "pytest",
            str(EVALS / job.scenario / "acceptance"),
            f"--workdir={work}",  # one token: as two, pytest's early parse takes DIR for a test path
            f"--db={job.db}",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={junit}",
            f"--basetemp={Path(tmp) / 'pytest'}",
        ]
        if job.variant.startswith("mutant:"):
            args.append("-x")  # one failing test is all a mutant needs
            mutant = _mutant(job)
            if mutant.fails:
                args += ["-k", mutant.fails]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("DBOS_SYSTEM_DATABASE_URL", None)
        start = time.monotonic()
        try:
            proc = subprocess.run(
                args, cwd=work, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, start_new_session=True
            )
            returncode, output = proc.returncode, proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            returncode, output = -9, f"timed out after {RUN_TIMEOUT}s\n{e.stdout!r}"
        return RunResult(parse_junit(junit), returncode, output, time.monotonic() - start)


def _job_for(item: pytest.Item) -> list[Job]:
    params: dict[str, Any] = getattr(getattr(item, "callspec", None), "params", {})
    scenario = params.get("scenario")
    name = getattr(item, "originalname", "")
    if scenario is None:
        return []
    if name == "test_solution_passes":
        return [Job(scenario, "solution", params["db"])]
    if name == "test_starter_fails_every_test":
        return [Job(scenario, "starter", "sqlite"), Job(scenario, "solution", "sqlite")]
    if name == "test_mutant_fails":
        return [Job(scenario, f"mutant:{params['mutant']}", "sqlite"), Job(scenario, "solution", "sqlite")]
    return []


@pytest.fixture(scope="session")
def eval_runs(request: pytest.FixtureRequest, evals_report: list[str]) -> Iterator[dict[Job, Future[RunResult]]]:
    """Start every acceptance run the selected tests need, in parallel; tests wait on their futures."""
    jobs = {job: None for item in request.session.items for job in _job_for(item)}
    if not os.environ.get(PG_ENV):
        jobs = {job: None for job in jobs if job.db != "postgres"}
    workers = int(os.environ.get("EVALS_JOBS", 3 * (os.cpu_count() or 1)))  # runs mostly wait
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Slow PostgreSQL runs first, so the pool ends with short runs.
        ordered = sorted(jobs, key=lambda j: (j.db != "postgres", j.variant != "solution"))
        futures = {job: pool.submit(run_job, job) for job in ordered}
        yield futures
    if jobs:
        busy = sum(f.result().seconds for f in futures.values() if f.done() and not f.exception())
        evals_report.append(
            f"{len(jobs)} acceptance runs of {len(SCENARIOS)} scenarios, {workers} at a time: "
            f"{time.monotonic() - start:.1f}s wall, {busy:.1f}s of runs"
        )


def _result(runs: dict[Job, Future[RunResult]], job: Job) -> RunResult:
    return runs[job].result()


def test_at_least_ten_scenarios() -> None:
    assert len(SCENARIOS) >= 10, f"issue 19 asks for at least 10 scenarios, found {len(SCENARIOS)}: {SCENARIOS}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_layout_and_lint(scenario: str) -> None:
    root = EVALS / scenario
    assert (root / "prompt.md").read_text().strip(), "prompt.md is empty"
    assert (root / "starter").is_dir(), "starter/ is missing (keep a .gitkeep when it is empty)"
    assert sorted((root / "acceptance").glob("test_*.py")), "acceptance/ has no test_*.py"
    solution = sorted((root / "solution").rglob("*.py"))
    assert solution, "solution/ has no Python file"
    findings = [str(f) for path in solution for f in dbos_lint.lint_file(path)]
    assert findings == [], "the reference solution must be lint-clean:\n" + "\n".join(findings)
    for mutant in load_mutants(scenario):
        text = (root / "solution" / mutant.file).read_text()
        assert text.count(mutant.old) == 1, f"mutant {mutant.name}: `old` occurs {text.count(mutant.old)} times"
        assert mutant.old != mutant.new and mutant.why.strip(), f"mutant {mutant.name}: no change or no why"
        tests = "".join(p.read_text() for p in (root / "acceptance").glob("test_*.py"))
        assert not mutant.fails or f"def {mutant.fails}(" in tests, f"mutant {mutant.name}: no test {mutant.fails}"


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_solution_passes(scenario: str, db: str, eval_runs: dict[Job, Future[RunResult]]) -> None:
    if db == "postgres" and not os.environ.get(PG_ENV):
        message = f"PostgreSQL not configured: set {PG_ENV}"
        if os.environ.get("SKILL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message}; SKILL_REQUIRE_POSTGRES=1 requires it", pytrace=False)
        pytest.skip(message)
    result = _result(eval_runs, Job(scenario, "solution", db))
    assert result.outcomes, f"no test ran: {result.report()}"
    failed = {name: o for name, o in result.outcomes.items() if o != "passed"}
    assert not failed and result.returncode == 0, f"solution failed {failed}: {result.report()}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_starter_fails_every_test(scenario: str, eval_runs: dict[Job, Future[RunResult]]) -> None:
    expected = _result(eval_runs, Job(scenario, "solution", "sqlite")).outcomes
    result = _result(eval_runs, Job(scenario, "starter", "sqlite"))
    assert set(result.outcomes) == set(expected), f"starter ran other tests than the solution: {result.report()}"
    passing = sorted(name for name, o in result.outcomes.items() if o in ("passed", "skipped"))
    assert not passing, f"the untouched starter passes {passing}: {result.report()}"


MUTANTS = [(s, m.name) for s in SCENARIOS for m in load_mutants(s)]


@pytest.mark.parametrize(("scenario", "mutant"), MUTANTS, ids=[f"{s}-{m}" for s, m in MUTANTS])
def test_mutant_fails(scenario: str, mutant: str, eval_runs: dict[Job, Future[RunResult]]) -> None:
    tests = set(_result(eval_runs, Job(scenario, "solution", "sqlite")).outcomes)
    result = _result(eval_runs, Job(scenario, f"mutant:{mutant}", "sqlite"))
    failed = sorted(name for name, o in result.outcomes.items() if o in ("failed", "error") and name in tests)
    assert failed, f"mutant {mutant} fails none of the acceptance tests {sorted(tests)}: {result.report()}"
    expected = next(m for m in load_mutants(scenario) if m.name == mutant).fails
    assert not expected or failed == [expected], f"mutant {mutant} should fail {expected}, failed {failed}"
    print(f"{scenario} mutant {mutant} fails {failed}")
