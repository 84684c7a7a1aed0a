"""Run commands in their own process groups, with a time limit, and stop them all on an interrupt.

An agent CLI or a test run may leave servers, watchers or sleeps behind; killing the group (not just the
process) removes them. `ProcessGroups.stop()` kills every group still running and refuses new ones, so an
interrupted `skilltools eval` leaves nothing behind even though its workers run in threads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path


class Stopped(Exception):
    """The groups were stopped (an interrupt); no new command is started."""


class ProcessGroups:
    def __init__(self) -> None:
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def run(
        self, argv: Sequence[str], cwd: Path, timeout: float, log: Path, env: dict[str, str] | None = None
    ) -> tuple[int | None, float]:
        """Run `argv` with output appended to `log`; (exit status, or None when killed at `timeout`; seconds)."""
        start = time.monotonic()
        with log.open("ab") as out, self._lock:
            if self._stopping:
                raise Stopped
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self._live.add(proc)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            kill_group(proc)
            with self._lock:
                self._live.discard(proc)
        return code, time.monotonic() - start

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._live)

    def stop(self) -> None:
        """Kill every running group and refuse new ones."""
        with self._lock:
            self._stopping = True
            live = list(self._live)
        for proc in live:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process and everything it left running in its group: SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            time.sleep(0.2)  # children that outlive the leader get the SIGKILL next
    proc.wait()
