"""`skilltools eval`: give a coding agent each eval scenario, with or without the skill, then grade its work.

A scenario is a folder `evals/<name>/` holding `prompt.md`, `starter/`, `acceptance/` (see docs/evals.md). For
each scenario and mode the harness makes a fresh workspace (the starter, plus the built skill under
`.claude/skills/<skill>/` and `.agents/skills/<skill>/` unless the mode is "without"), runs the agent command
there under a time limit, then runs the acceptance tests against the workspace and records every test.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from . import reads
from .procgroup import ProcessGroups

Mode = Literal["with", "without"]
PLACEHOLDERS = ("prompt", "prompt_file", "workdir", "scenario")
"""`{prompt}` the prompt's text, `{prompt_file}` its path (outside the workspace), `{workdir}` the workspace,
`{scenario}` the scenario's name. Each is substituted shell-quoted: write `{prompt}`, not `"{prompt}"`."""
SKILL_HOMES = (".claude/skills", ".agents/skills")
"""Where agents look for project skills: Claude Code, and Codex / other Agent Skills clients."""
ACCEPTANCE_TIMEOUT = 900.0
TAIL = 3000


class EvalError(Exception):
    """The evals cannot run as asked (bad folder, bad command); the message says what to fix."""


@dataclass(frozen=True)
class Scenario:
    name: str
    root: Path

    @property
    def prompt_file(self) -> Path:
        return self.root / "prompt.md"

    @property
    def starter(self) -> Path:
        return self.root / "starter"

    @property
    def acceptance(self) -> Path:
        return self.root / "acceptance"


@dataclass(frozen=True)
class TestResult:
    name: str
    outcome: str
    """passed, failed, error or skipped."""


@dataclass(frozen=True)
class Run:
    scenario: str
    mode: Mode
    agent_exit: int | None
    """The agent's exit status; None when it was killed at the time limit."""
    agent_seconds: float
    tests: tuple[TestResult, ...]
    test_seconds: float
    test_exit: int
    log_tail: str = ""
    """The end of the agent's and the tests' output, when the run did not pass."""
    workspace: str = ""
    """Kept workspace (with --keep), else empty."""
    skill_read: tuple[str, ...] = ()
    """Skill files the agent read (from access times; see reads.py)."""
    skill_lines_read: int | None = None
    """Their total lines; None without the skill or where the filesystem records no reads."""

    @property
    def timed_out(self) -> bool:
        return self.agent_exit is None

    @property
    def passed(self) -> bool:
        return self.test_exit == 0 and bool(self.tests) and all(t.outcome == "passed" for t in self.tests)

    @property
    def score(self) -> str:
        return f"{sum(t.outcome == 'passed' for t in self.tests)}/{len(self.tests)}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(passed=self.passed, timed_out=self.timed_out, score=self.score)
        return data


@dataclass
class Settings:
    agent: str
    modes: tuple[Mode, ...] = ("with",)
    timeout: float = 1800.0
    jobs: int = 1
    db: str = "sqlite"
    keep: bool = False
    python: str = sys.executable
    notes: list[str] = field(default_factory=list)


def discover(evals_dir: Path, pattern: str | None = None) -> list[Scenario]:
    """Scenarios under `evals_dir` whose name contains `pattern`; raises EvalError listing every broken one."""
    if not evals_dir.is_dir():
        raise EvalError(f"{evals_dir}: no such folder; pass --evals DIR (a folder of scenario folders)")
    evals_dir = evals_dir.resolve()  # the tests run in another working directory
    found: list[Scenario] = []
    problems: list[str] = []
    for root in sorted(p for p in evals_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        scenario = Scenario(root.name, root)
        if not (root / "acceptance").is_dir() and not scenario.prompt_file.exists():
            continue  # not a scenario (e.g. a helpers folder)
        missing = [
            n for n, p in (("prompt.md", scenario.prompt_file), ("starter/", scenario.starter)) if not p.exists()
        ]
        if not any(scenario.acceptance.glob("test_*.py")):
            missing.append("acceptance/test_*.py")
        if missing:
            problems.append(f"{root}: missing {', '.join(missing)} (see docs/evals.md for a scenario's layout)")
        elif pattern is None or pattern in scenario.name:
            found.append(scenario)
    if problems:
        raise EvalError("\n".join(problems))
    return found


def expand(template: str, values: dict[str, str]) -> str:
    """The agent command with each `{placeholder}` replaced by its shell-quoted value."""
    command = template
    for key in PLACEHOLDERS:
        command = command.replace("{" + key + "}", shlex.quote(values[key]))
    return command


def prepare(scenario: Scenario, run_dir: Path, skill_dir: Path | None) -> Path:
    """A fresh workspace `run_dir/work` holding the starter (and the skill); the prompt is left beside it."""
    work = run_dir / "work"
    shutil.copytree(scenario.starter, work, ignore=shutil.ignore_patterns(".gitkeep", "__pycache__"))
    shutil.copy(scenario.prompt_file, run_dir / "prompt.md")
    if skill_dir is not None:
        for home in SKILL_HOMES:
            shutil.copytree(skill_dir, work / home / skill_dir.name)
    return work


def read_junit(path: Path) -> tuple[TestResult, ...]:
    """Per-test outcomes from pytest's JUnit XML (a collection error is one `error` entry)."""
    if not path.exists():
        return ()
    try:
        tree = ET.parse(path)
    except ET.ParseError:
        return ()
    results = []
    for case in tree.getroot().iter("testcase"):
        name = case.get("name", "?")
        where = case.get("file") or case.get("classname", "")
        kinds = {child.tag for child in case}
        outcome = next(
            (k for k, t in (("failed", "failure"), ("error", "error"), ("skipped", "skipped")) if t in kinds), "passed"
        )
        results.append(TestResult(f"{where.rsplit('/', 1)[-1]}::{name}" if where else name, outcome))
    return tuple(results)


def run_one(
    scenario: Scenario, mode: Mode, settings: Settings, skill_dir: Path, base: Path, groups: ProcessGroups
) -> Run:
    run_dir = Path(tempfile.mkdtemp(prefix=f"{scenario.name}-{mode}-", dir=base))
    work = prepare(scenario, run_dir, skill_dir if mode == "with" else None)
    values = {
        "prompt": scenario.prompt_file.read_text("utf-8"),
        "prompt_file": str(run_dir / "prompt.md"),
        "workdir": str(work),
        "scenario": scenario.name,
    }
    copies = [work / home / skill_dir.name for home in SKILL_HOMES] if mode == "with" else []
    for copy in copies:
        reads.arm(copy)
    measured = bool(copies) and reads.recording(run_dir)
    agent_log = run_dir / "agent.log"
    env = {**os.environ, "PATH": f"{Path(settings.python).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    agent_exit, agent_seconds = groups.run(
        ["/bin/sh", "-c", expand(settings.agent, values)], work, settings.timeout, agent_log, env
    )
    skill_read, skill_lines = reads.lines_read(copies) if measured else ((), None)
    junit, test_log = run_dir / "acceptance.xml", run_dir / "acceptance.log"
    argv = [settings.python, "-m", "pytest", str(scenario.acceptance), f"--workdir={work}", f"--db={settings.db}"]
    argv += ["-p", "no:cacheprovider", "-q", f"--junit-xml={junit}", "-o", "junit_family=xunit1"]
    test_exit, test_seconds = groups.run(argv, scenario.root.parent, ACCEPTANCE_TIMEOUT, test_log)
    run = Run(
        scenario.name,
        mode,
        agent_exit,
        round(agent_seconds, 1),
        read_junit(junit),
        round(test_seconds, 1),
        -1 if test_exit is None else test_exit,
        workspace=str(work) if settings.keep else "",
        skill_read=skill_read,
        skill_lines_read=skill_lines,
    )
    if not run.passed:
        tails = [f"--- {p.name}\n{p.read_text('utf-8', 'replace')[-TAIL:]}" for p in (agent_log, test_log)]
        run = replace(run, log_tail="\n".join(tails))
    return run


def run_all(
    scenarios: Sequence[Scenario],
    settings: Settings,
    skill_dir: Path,
    progress: Callable[[Run], None] | None = None,
) -> list[Run]:
    """Every (scenario, mode), `settings.jobs` at a time, in a temp folder removed at the end unless `keep`."""
    base = Path(tempfile.mkdtemp(prefix="skilltools-eval-"))
    groups = ProcessGroups()
    runs: list[Run] = []
    try:
        jobs = [(s, m) for s in scenarios for m in settings.modes]
        with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
            futures = [pool.submit(run_one, s, m, settings, skill_dir, base, groups) for s, m in jobs]
            try:
                for future in futures:
                    runs.append(future.result())
                    if progress:
                        progress(runs[-1])
            except BaseException:  # Ctrl-C: the agents run in their own sessions, so stop them here
                groups.stop()
                for future in futures:
                    future.cancel()
                raise
    finally:
        if settings.keep:
            settings.notes.append(f"workspaces kept under {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return runs


def _cell(run: Run | None) -> str:
    if run is None:
        return "n/a | n/a | n/a"
    verdict = "**pass**" if run.passed else "fail"
    agent = "timeout" if run.timed_out else f"exit {run.agent_exit}"
    read = "" if run.skill_lines_read is None else f", read {run.skill_lines_read} lines"
    return f"{verdict} {run.score} | {agent}, {run.agent_seconds:.0f} s{read} | {run.test_seconds:.0f} s"


def render_markdown(runs: Sequence[Run]) -> str:
    """One row per scenario; one column group per mode that ran (with vs without side by side)."""
    modes = [m for m in ("with", "without") if any(r.mode == m for r in runs)]
    names = list(dict.fromkeys(r.scenario for r in runs))
    by_key: dict[tuple[str, str], Run] = {(r.scenario, r.mode): r for r in runs}
    head = "| scenario | " + " | ".join(f"{m} skill: tests | agent | grading" for m in modes) + " |"
    rule = "|---|" + "---|---:|---:|" * len(modes)
    rows = [f"| {n} | " + " | ".join(_cell(by_key.get((n, m))) for m in modes) + " |" for n in names]
    totals = [f"{m} skill: {sum(r.passed for r in runs if r.mode == m)}/{len(names)} passed" for m in modes]
    return "\n".join([head, rule, *rows, "", "; ".join(totals)])


def to_json(runs: Sequence[Run], settings: Settings) -> dict[str, Any]:
    return {
        "agent": settings.agent,
        "db": settings.db,
        "timeout": settings.timeout,
        "runs": [r.as_dict() for r in runs],
    }
