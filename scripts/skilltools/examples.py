"""The example checker: plan programs from the model, run them isolated, judge the outcomes.

`check()` is the one entry: the CLI (`skilltools check-examples`) and the pytest plugin both call it. The
parts: `executor` (warm or cold runs), `runner` (the isolated process side), `judge` (the verdict), `output`
(what a failure shows), `owners` (leftovers of killed checkers), `pgdb` (a database per run).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from . import error_index, owners, schedule
from .admission import OPEN, CpuGate
from .executor import ColdExecutor, Executor, WarmExecutor, base_env, network_isolation_available, runner_command
from .judge import Outcome, judge, lint_verdict, load_linter
from .model import Program, Skill
from .output import map_output
from .pgdb import PostgresServer, PostgresUnavailable
from .runner.protocol import RunRequest
from .sqlitedb import SqliteTemplate

__all__ = [
    "Outcome",
    "PostgresUnavailable",
    "Program",
    "base_env",
    "judge",
    "network_isolation_available",
    "runner_command",
]
DATABASES = ("sqlite", "postgres")


# --- planning --------------------------------------------------------------------------------------------


def plan(skill: Skill, pattern: str | None = None) -> list[Program]:
    """The skill's programs (built by parse), those whose 'path:line' or file stem contains `pattern`."""
    programs = list(skill.programs)
    if pattern:
        programs = [p for p in programs if pattern in str(p) or pattern in Path(p.path).stem]
    return programs


# --- checking --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    databases: Sequence[str] = ("sqlite",)
    jobs: int = max(12, (os.cpu_count() or 1) * 12)
    """Runs in flight at most; most of a run is waiting, and the CPU gate decides when the next one starts."""
    gate: bool = True
    """Start a run only when a core is free (admission.py); off: `jobs` alone limits."""
    warm: bool = True
    isolate_network: bool = True
    postgres_url: str | None = None
    postgres_prefix: str | None = None
    """Name prefix of every database this check creates (default: names the owning process, see owners.py)."""
    keep: bool = False
    durations_file: Path | None = field(default_factory=schedule.default_path)
    """Where run durations are remembered, to start the longest runs first next time (None: plan order)."""


@dataclass(frozen=True)
class Report:
    outcomes: list[Outcome]
    """In plan order: each program on each selected database."""
    notes: list[str]
    """Loud remarks: what could not be isolated, what leftovers of dead checkers were removed."""

    @property
    def passed(self) -> bool:
        return all(outcome.passed for outcome in self.outcomes)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a check; every run it had started was ended."""

    def __init__(self, running: Sequence[str], not_started: int) -> None:
        self.running = list(running)
        self.not_started = not_started
        shown = ", ".join(self.running[:3]) + (f" and {len(self.running) - 3} more" if len(self.running) > 3 else "")
        super().__init__(
            f"interrupted: stopped {len(self.running)} running example(s)"
            + (f" ({shown})" if shown else "")
            + f"; {not_started} not started"
        )

    def __str__(self) -> str:
        return str(self.args[0])


def _postgres(settings: Settings, notes: list[str]) -> PostgresServer:
    if not settings.postgres_url:
        raise PostgresUnavailable("no PostgreSQL URL configured; set DBOS_TEST_POSTGRES_URL or use --db sqlite")
    server = PostgresServer(settings.postgres_url)
    if settings.postgres_prefix:
        server.prefix = settings.postgres_prefix
    stale = server.sweep_stale()
    if stale:
        notes.append(f"dropped {len(stale)} database(s) left by killed checkers")
    server.prepare_template()
    return server


@contextmanager
def _one_interrupt() -> Iterator[None]:
    """The first Ctrl-C raises KeyboardInterrupt and disarms itself, so stopping every run cannot be cut short
    by a second one (which would orphan the runs). Only the main thread can handle signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    interrupted = False

    def interrupt(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupted
        interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        # After an interrupt, stay deaf to Ctrl-C until exit: a second one landing after a quick cleanup would
        # otherwise raise past the CLI and kill the process by SIGINT instead of exiting 130.
        if not interrupted:
            signal.signal(signal.SIGINT, previous)


def check(
    skill: Skill,
    programs: Sequence[Program],
    settings: Settings,
    progress: Callable[[int, int, Outcome], None] | None = None,
) -> Report:
    """Run every program on every selected database; Ctrl-C ends every run at once (`Interrupted`)."""
    with _one_interrupt():
        return _check(skill, programs, settings, progress)


def _check(
    skill: Skill,
    programs: Sequence[Program],
    settings: Settings,
    progress: Callable[[int, int, Outcome], None] | None,
) -> Report:
    notes: list[str] = []
    runs = [(program, db) for program in programs for db in settings.databases]
    linter = load_linter(skill.root)
    lint_problems = {program: lint_verdict(program, linter) for program in programs}
    errors = error_index.load(skill)
    isolate = settings.isolate_network and network_isolation_available()
    if settings.isolate_network and not isolate:
        notes.append("network isolation unavailable (unshare -n failed): examples ran WITH network access")
    swept = owners.sweep_temp()
    if swept:
        notes.append(f"removed {len(swept)} temp folder(s) left by killed checkers")
    lock = threading.Lock()
    running: set[str] = set()
    done: list[Outcome] = []
    server: PostgresServer | None = None
    template: SqliteTemplate | None = None
    executor: Executor | None = None
    session = owners.session_dir()
    if settings.keep:
        notes.append(f"kept every run's folder (script, output, result) under {session}")
    pool = ThreadPoolExecutor(max_workers=max(1, settings.jobs))
    gate = CpuGate() if settings.gate else OPEN

    def run_one(item: tuple[Program, str]) -> Outcome:
        program, db = item
        assert executor is not None
        gate.wait()  # before anything is made for the run: a held run holds no folder or database
        with lock:
            running.add(f"{program}[{db}]")
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=session))
        db_name = None
        try:
            request = _request(program, run_dir, settings.warm)
            if db == "sqlite" and template:
                template.place(program.source, Path(request.script).parent)
            if db == "postgres":
                assert server is not None
                db_name = server.new_database(program.source)
                request.env["DBOS_SYSTEM_DATABASE_URL"] = server.url_for(db_name)
            result = executor.run(request)
            shown = map_output(result.output, request.script, program.md_line, program.path, result.dropped)
            outcome = judge(program, db, result, lint_problems[program], shown, errors)
        finally:
            if db_name and server:
                server.drop_matching(db_name)
            if not settings.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
            with lock:
                running.discard(f"{program}[{db}]")
        with lock:
            done.append(outcome)
            if progress:
                progress(len(done), len(runs), outcome)
        return outcome

    try:
        if "postgres" in settings.databases:
            server = _postgres(settings, notes)
            if isolate and not server.uses_socket:
                isolate = False
                notes.append("PostgreSQL URL uses TCP, so examples ran WITH network access; use ?host=/socket-dir")
        template = SqliteTemplate(session) if "sqlite" in settings.databases else None
        executor = WarmExecutor(isolate) if settings.warm else ColdExecutor(isolate)
        keys = [schedule.run_key(program.source, db) for program, db in runs]
        order = schedule.longest_first(keys, schedule.load(settings.durations_file))
        futures = {index: pool.submit(run_one, runs[index]) for index in order}
        outcomes = [futures[index].result() for index in range(len(runs))]
        schedule.save(settings.durations_file, {key: o.duration for key, o in zip(keys, outcomes, strict=True)})
    except BaseException as error:
        with lock:
            stopped, finished = sorted(running), len(done)
        if executor:
            executor.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        if isinstance(error, KeyboardInterrupt):
            raise Interrupted(stopped, len(runs) - finished - len(stopped)) from None
        raise
    finally:
        pool.shutdown(wait=True)
        if executor:
            executor.close()
        if template:
            template.close()
        if server:
            server.close()
        if not settings.keep:
            shutil.rmtree(session, ignore_errors=True)
    return Report(outcomes, notes)


def _request(program: Program, run_dir: Path, warm: bool) -> RunRequest:
    work = run_dir / "work"
    (work / ".tmp").mkdir(parents=True)
    script = work / ("test_block.py" if program.is_pytest else "block.py")
    script.write_text(program.source, encoding="utf-8")
    expect = program.expect
    return RunRequest(
        run_dir=str(run_dir),
        script=str(script),
        pytest=program.is_pytest,
        expect=expect.type if expect else None,
        timeout=program.timeout,
        env=base_env() | {"HOME": str(work), "TMPDIR": str(work / ".tmp")},
        cold=not warm,
        python=sys.executable,
    )


def summary(outcomes: Iterable[Outcome], databases: Sequence[str]) -> str:
    parts = []
    for db in databases:
        mine = [o for o in outcomes if o.database == db]
        passed = sum(o.passed for o in mine)
        parts.append(f"{db}: {passed} passed, {len(mine) - passed} failed")
    return "; ".join(parts)
