"""Benchmark: the example checker against the naive way, side by side, on the same programs (SQLite).

Naive: one cold `python block.py` per program, one after another, each in a fresh temp directory.
Checker: `examples.check()` with its warm forked pool and parallel jobs.

cpu/blk is the CPU the checker's whole process tree spent per block: unlike wall time, it barely grows when
other work shares the machine. Prints figures to stdout and progress to stderr; asserts nothing (speed goals
live here, not in timed tests).

    .venv/bin/python bench/check_examples.py [-k PATTERN] [--limit N] [--jobs N] [--no-gate] [--minimal N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from skilltools import examples, load_skill, schedule
from skilltools.model import CodeBlock, Program

MINIMAL = """import os
from dbos import DBOS

@DBOS.workflow()
def noop() -> int:
    return 1

if __name__ == "__main__":
    DBOS(config={"name": "bench-app", "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL")})
    DBOS.launch()
    assert noop() == 1
    DBOS.destroy()
"""


def progress(phase: str, done: int, total: int) -> None:
    """One stderr line about every 5% (the figures go to stdout), so a run of minutes shows it is alive."""
    if done == total or done % max(1, total // 20) == 0:
        print(f"  {phase}: {done}/{total}", file=sys.stderr, flush=True)


def naive(programs: list[Program], label: str) -> tuple[float, int]:
    failures = 0
    started = time.perf_counter()
    for done, program in enumerate(programs, 1):
        with tempfile.TemporaryDirectory() as work:
            script = Path(work) / ("test_block.py" if program.is_pytest else "block.py")
            script.write_text(program.source)
            env = examples.base_env() | {"HOME": work}
            cmd = (
                [sys.executable, "-m", "pytest", "-q", str(script)]
                if program.is_pytest
                else [sys.executable, str(script)]
            )
            finished = subprocess.run(
                cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=program.timeout
            )
            failures += finished.returncode != 0 and "expect" not in program.settings
        progress(f"naive {label}", done, len(programs))
    return time.perf_counter() - started, failures


def cpu_seconds() -> float:
    """CPU of this process and its reaped children (the warm server reaps supervisors, they reap blocks)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def checker(skill_root: Path, programs: list[Program], jobs: int, gate: bool, label: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, failures)."""
    skill = load_skill(skill_root)
    started, cpu = time.perf_counter(), cpu_seconds()
    outcomes = examples.check(
        skill,
        programs,
        examples.Settings(databases=("sqlite",), jobs=jobs, gate=gate),
        progress=lambda done, total, _outcome: progress(f"checker {label}", done, total),
    ).outcomes
    return time.perf_counter() - started, cpu_seconds() - cpu, sum(not o.passed for o in outcomes)


def minimal_programs(count: int) -> list[Program]:
    block = CodeBlock("bench/minimal.md", 1, len(MINIMAL.splitlines()) + 2, "python", MINIMAL, True, "Correct")
    return [
        Program((CodeBlock(block.path, n, block.end_line, block.info, block.source, True, "Correct"),))
        for n in range(count)
    ]


def row(name: str, count: int, naive_s: float, checker_s: float, cpu_s: float) -> str:
    naive = f"{naive_s:>9.1f}s {naive_s / count:>9.3f}s {naive_s / checker_s:>6.1f}x" if naive_s else f"{'-':>32}"
    return f"{name:<22} {count:>6} {checker_s:>9.1f}s {checker_s / count:>9.3f}s {cpu_s / count:>9.3f}s {naive}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", help="only programs whose path:line or stem contains this")
    parser.add_argument("--limit", type=int, default=0, help="at most N programs from the skill (0: all)")
    parser.add_argument("--jobs", type=int, default=examples.Settings().jobs)
    parser.add_argument("--no-gate", action="store_true", help="start runs regardless of CPU load (the old way)")
    parser.add_argument("--minimal", type=int, default=12, help="also time N minimal DBOS programs (0: skip)")
    parser.add_argument("--no-naive", action="store_true", help="skip the slow naive half")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()

    programs = examples.plan(load_skill(args.root), args.pattern)
    remembered = schedule.load(examples.Settings().durations_file)
    if args.limit:
        programs = programs[: args.limit]
    gate = "off" if args.no_gate else "on"
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load {load:.1f}; checker jobs: {args.jobs}, CPU gate {gate}; sqlite")
    known = sum(schedule.run_key(p.source, "sqlite") in remembered for p in programs)
    print(f"start order: longest first, {known} of {len(programs)} skill programs have a remembered duration")
    print(
        f"{'set':<22} {'blocks':>6} {'checker':>10} {'chk/blk':>10} {'cpu/blk':>10} "
        f"{'naive':>10} {'naive/blk':>10} {'speedup':>7}"
    )
    for name, chosen in (("minimal DBOS program", minimal_programs(args.minimal)), ("skill examples", programs)):
        if not chosen:
            continue
        naive_s, naive_failed = (0.0, 0) if args.no_naive else naive(chosen, name)
        checker_s, cpu_s, checker_failed = checker(args.root, chosen, args.jobs, not args.no_gate, name)
        print(row(name, len(chosen), naive_s, checker_s, cpu_s))
        print(f"  (failures: checker {checker_failed}; naive non-zero exits on unannotated blocks: {naive_failed})")
    print(f"load at the end: {os.getloadavg()[0]:.1f} (other work on the machine inflates wall times, not cpu/blk)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
