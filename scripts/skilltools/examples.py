"""The example checker's engine: plan programs from the model, run them isolated, judge the outcomes.

The CLI (`skilltools check-examples`) and the pytest plugin both call `check()`; neither runs anything
on its own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from . import runner
from .expectation import Expectation
from .model import Program, Skill
from .pgdb import PostgresServer, PostgresUnavailable

DATABASES = ("sqlite", "postgres")
RUNNER_PATH = Path(runner.__file__).resolve()
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM")
"""Everything else in the caller's environment (DBOS_*, PYTEST_*, secrets) stays out of the examples."""


# --- planning --------------------------------------------------------------------------------------------


def plan(skill: Skill, pattern: str | None = None) -> list[Program]:
    """The skill's programs (built by parse), those whose 'path:line' or file stem contains `pattern`."""
    programs = list(skill.programs)
    if pattern:
        programs = [p for p in programs if pattern in str(p) or pattern in Path(p.path).stem]
    return programs


# --- outcomes --------------------------------------------------------------------------------------------


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
    findings = linter.lint_source(program.source, program.path)
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


def _tail(text: str, program: Program, script: str, limit: int = 40) -> str:
    def remap(match: re.Match[str]) -> str:
        return f'File "{program.path}", line {program.md_line(int(match.group(1)))}'

    text = re.sub(r'  File "[^"]*runner\.py", line \d+, in bootstrap\n.*\n', "", text)
    text = re.sub(r'  File "<frozen runpy>".*\n', "", text)
    text = re.sub(r'File "[^"]*' + re.escape(script) + r'", line (\d+)', remap, text)
    text = re.sub(
        r"[^\s\"']*" + re.escape(script) + r":(\d+)",
        lambda m: f"{program.path}:{program.md_line(int(m.group(1)))}",
        text,
    )
    return "\n".join(text.rstrip().splitlines()[-limit:])


def _expectation(program: Program) -> Expectation | None:
    return Expectation.parse(program.settings.get("expect", ""))


def _clip(text: str, limit: int = 200) -> str:
    """The first line of a message, at most `limit` characters; ` ...` when anything was cut."""
    text = text.strip()
    first = text.split("\n", 1)[0][:limit]
    return first if first == text else first + " ..."


def judge(program: Program, database: str, result: dict[str, Any], output: str, lint_problem: str | None) -> Outcome:
    """Turn a runner result into a verdict, following docs/authoring.md's table."""
    expect = _expectation(program)
    exception = result.get("exception") or {}
    failures = exception.get("pytest_failures")

    def matches(record: dict[str, Any]) -> bool:
        return bool(expect and record.get("matches") and expect.accepts_message(record.get("message", "")))

    if failures:
        exception = next((f for f in failures if not matches(f)), failures[0])
    name = exception.get("name")
    code = result.get("exit_code")
    base = {
        "exit_code": code,
        "exception": exception.get("qualified"),
        "duration": result.get("duration", 0.0),
        "output": output,
    }
    if result.get("timed_out"):
        return Outcome(
            program, database, False, f"timed out after {program.timeout:g}s (raise timeout= or make it faster)", **base
        )
    if result.get("leftovers"):
        names = "; ".join(result["leftovers"])
        return Outcome(program, database, False, f"left processes running after it ended: {names}", **base)
    got = f"{name}: {_clip(exception.get('message', ''))}".strip() if name else f"exit {code}"
    if expect:
        matched = all(matches(f) for f in failures) if failures else matches(exception)
        if not (name and matched):
            return Outcome(program, database, False, f"expected {expect}, got {got}", **base)
    elif code != 0:
        hint = " (examples run without network)" if "Network is unreachable" in output else ""
        return Outcome(program, database, False, f"failed: {got}{hint}", **base)
    if lint_problem:
        return Outcome(program, database, False, lint_problem, **base)
    return Outcome(program, database, True, "passed", **base)


# --- running ---------------------------------------------------------------------------------------------


def runner_command(isolated: bool, *args: str) -> list[str]:
    """runner.py under this interpreter; in a fresh network namespace (loopback up) when isolated."""
    if isolated:
        return ["unshare", "-n", "--", sys.executable, str(RUNNER_PATH), "--netns", *args]
    return [sys.executable, str(RUNNER_PATH), *args]


@cache
def network_isolation_available() -> bool:
    """Probed once per process: whether `unshare -n` works here."""
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(runner_command(True, "--help"), capture_output=True).returncode in (0, 2)


def base_env() -> dict[str, str]:
    env = {key: os.environ[key] for key in KEPT_ENV if key in os.environ}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class _WarmServer:
    """One pre-imported runner process that forks a supervisor per request, many at a time."""

    def __init__(self, isolated: bool) -> None:
        self.process = subprocess.Popen(
            runner_command(isolated, "--serve"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=base_env(),
            start_new_session=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the warm runner failed to start")
        self._lock = threading.Lock()
        self._waiting: dict[str, threading.Event] = {}
        self._counter = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            ident = line.strip().removeprefix("done ")
            with self._lock:
                event = self._waiting.pop(ident, None)
            if event:
                event.set()
        with self._lock:  # the server died: release everyone still waiting
            for event in self._waiting.values():
                event.set()
            self._waiting.clear()

    def run(self, request: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        event = threading.Event()
        with self._lock:
            self._counter += 1
            ident = str(self._counter)
            self._waiting[ident] = event
            self.process.stdin.write(f"{ident} {json.dumps(request)}\n")
            self.process.stdin.flush()
        if not event.wait(float(request["timeout"]) + 60.0):
            raise TimeoutError("the warm runner did not answer")

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, 9)
        except OSError:
            pass
        self.process.wait()


@dataclass
class Settings:
    databases: Sequence[str] = ("sqlite",)
    jobs: int = max(4, (os.cpu_count() or 1) * 4)
    warm: bool = True
    isolate_network: bool = True
    postgres_url: str | None = None
    postgres_prefix: str | None = None
    """Name prefix of every database this check creates (default: unique per process)."""
    keep: bool = False
    notes: list[str] = field(default_factory=list)
    """Loud remarks for the report: what could not be isolated or run."""


def check(
    skill: Skill,
    programs: Sequence[Program],
    settings: Settings,
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> list[Outcome]:
    """Run every program on every selected database; outcomes in plan order."""
    runs = [(program, db) for program in programs for db in settings.databases]
    linter = load_linter(skill.root)
    lint_problems = {program: lint_verdict(program, linter) for program in programs}
    isolate = settings.isolate_network and network_isolation_available()
    if settings.isolate_network and not isolate:
        settings.notes.append("network isolation unavailable (unshare -n failed): examples ran WITH network access")
    server: PostgresServer | None = None
    if "postgres" in settings.databases:
        if not settings.postgres_url:
            raise PostgresUnavailable("no PostgreSQL URL configured; set DBOS_TEST_POSTGRES_URL or use --db sqlite")
        server = PostgresServer(settings.postgres_url)
        if settings.postgres_prefix:
            server.prefix = settings.postgres_prefix
        server.prepare_template()
        if isolate and not server.uses_socket:
            isolate = False
            settings.notes.append(
                "PostgreSQL URL uses TCP, so examples ran WITH network access; "
                "give a Unix socket (?host=/dir) to isolate"
            )
    session_dir = Path(tempfile.mkdtemp(prefix="skilltools-examples-"))
    warm = _WarmServer(isolate) if settings.warm else None
    lock = threading.Lock()
    done: list[Outcome] = []

    def run_one(item: tuple[Program, str]) -> Outcome:
        program, db = item
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=session_dir))
        work = run_dir / "work"
        (work / ".tmp").mkdir(parents=True)
        script = work / ("test_block.py" if program.is_pytest else "block.py")
        script.write_text(program.source, encoding="utf-8")
        env = base_env() | {"HOME": str(work), "TMPDIR": str(work / ".tmp")}
        db_name = None
        if db == "postgres":
            assert server is not None
            db_name = server.new_database(program.source)
            env["DBOS_SYSTEM_DATABASE_URL"] = server.url_for(db_name)
        request = {
            "run_dir": str(run_dir),
            "script": str(script),
            "pytest": program.is_pytest,
            "expect": expectation.type if (expectation := _expectation(program)) else None,
            "timeout": program.timeout,
            "env": env,
            "cold": not settings.warm,
            "python": sys.executable,
        }
        try:
            _execute(request, isolate, warm)
            result_path = run_dir / runner.RESULT_FILE
            result = (
                json.loads(result_path.read_text())
                if result_path.exists()
                else {"exit_code": None, "runner_failed": True}
            )
            output = "".join(
                (run_dir / name).read_text(errors="replace")
                for name in (runner.STDOUT_FILE, runner.STDERR_FILE)
                if (run_dir / name).exists()
            )
            outcome = judge(program, db, result, _tail(output, program, script.name), lint_problems[program])
            if result.get("runner_failed"):
                outcome = Outcome(
                    program, db, False, "the runner crashed before recording a result", output=outcome.output
                )
        finally:
            if db_name and server:
                server.drop_matching(db_name)
            if not settings.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
        with lock:
            done.append(outcome)
            if progress:
                progress(len(done), len(runs), outcome)
        return outcome

    try:
        with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
            outcomes = list(pool.map(run_one, runs))
    finally:
        if warm:
            warm.close()
        if server:
            server.close()
        if not settings.keep:
            shutil.rmtree(session_dir, ignore_errors=True)
    return outcomes


def _execute(request: dict[str, Any], isolated: bool, warm: _WarmServer | None) -> None:
    if warm is not None:
        warm.run(request)
        return
    request_path = Path(request["run_dir"]) / "request.json"
    request_path.write_text(json.dumps(request))
    cmd = runner_command(isolated, "--supervise", str(request_path))
    subprocess.run(cmd, env=base_env(), stdin=subprocess.DEVNULL, timeout=float(request["timeout"]) + 60.0, check=False)


def summary(outcomes: Iterable[Outcome], databases: Sequence[str]) -> str:
    parts = []
    for db in databases:
        mine = [o for o in outcomes if o.database == db]
        passed = sum(o.passed for o in mine)
        parts.append(f"{db}: {passed} passed, {len(mine) - passed} failed")
    return "; ".join(parts)
