"""Run one README's shell blocks in order in ONE bash session, as a reader pasting them into one terminal:
`cd`, `export`, `source .venv/bin/activate` and background jobs (`&`, `kill %1`) carry from block to block.

Each block is sourced from a file with stdin from /dev/null; an ERR trap records every failing command (what
`set -e` would stop on) without killing the session. The session leads its own process group: whatever a
block leaves running when the README ends is reported, then killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from readme_blocks import ShellBlock, Substitutions

DONE = "__README_DONE__"
FAILED = "__README_FAILED__"


@dataclass
class BlockRun:
    block: ShellBlock
    seconds: float
    output: str
    failures: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.timed_out


@dataclass
class SessionResult:
    runs: list[BlockRun]
    left_running: list[str]  # processes a README started and never stopped
    stop_output: str


def group_members(pgid: int) -> list[str]:
    """`pid command` of every live process in the process group (Linux /proc)."""
    members: list[str] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                members.append(f"{entry.name} {command.strip()}")
        except (OSError, IndexError, ValueError):
            continue
    return members


def run_session(
    blocks: list[ShellBlock],
    *,
    cwd: Path,
    env: Mapping[str, str],
    work: Path,
    substitutions: Substitutions,
    timeout: float = 180.0,
) -> SessionResult:
    """Run the blocks (all of one README, in order); stop at the first failing block."""
    log = work / "session.log"
    with log.open("wb") as out:
        bash = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    assert bash.stdin is not None
    runs: list[BlockRun] = []
    try:
        for number, block in enumerate(blocks):
            script = work / f"block-{number}.sh"
            script.write_text(substitutions.apply(block.text))
            addopts = "--collect-only -q" if block.mode == "collect only" else ""
            start = log.stat().st_size
            command = (
                f"export PYTEST_ADDOPTS='{addopts}'\n"
                f"trap 'echo \"{FAILED} exit $? line $LINENO: $BASH_COMMAND\"' ERR\n"
                f"source {script} </dev/null\n"
                "trap - ERR\n"
                f"echo {DONE} {number}\n"
            )
            began = time.monotonic()
            bash.stdin.write(command.encode())
            bash.stdin.flush()
            marker = f"{DONE} {number}".encode()
            timed_out = True
            while time.monotonic() - began < timeout and bash.poll() is None:
                if marker in log.read_bytes()[start:]:
                    timed_out = False
                    break
                time.sleep(0.1)
            output = log.read_bytes()[start:].decode(errors="replace")
            failures = [line for line in output.splitlines() if line.startswith(FAILED)]
            if bash.poll() is not None and timed_out:
                failures.append(f"the shell exited (status {bash.returncode})")
                timed_out = False
            shown = output.replace(f"{DONE} {number}\n", "")
            runs.append(BlockRun(block, time.monotonic() - began, shown, failures, timed_out))
            if not runs[-1].ok:
                break
        start = log.stat().st_size
        with contextlib.suppress(BrokenPipeError):
            bash.stdin.write(b"exit\n")
            bash.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            bash.wait(timeout=10)
        time.sleep(0.2)
        left = group_members(bash.pid)
        return SessionResult(runs, left, log.read_bytes()[start:].decode(errors="replace"))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bash.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            bash.wait(timeout=10)
