"""How a `RunRequest` becomes a `RunResult`: one interface, a warm and a cold implementation.

Warm: one pre-imported runner server forks a supervisor per request (fast). Cold: a fresh `runner
--supervise` process per request (slow, and independent of fork). Both `stop()` every run at once: the
supervisors kill their blocks and record them as interrupted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Protocol

from .runner.protocol import RunRequest, RunResult

RUNNER_MAIN = Path(__file__).resolve().parent / "runner" / "__main__.py"
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM")
"""Everything else in the caller's environment (DBOS_*, PYTEST_*, secrets) stays out of the examples."""
ANSWER_GRACE = 60.0
"""Seconds past a run's own time limit before the checker gives up on the runner answering."""
STOP_WAIT = 10.0


def runner_command(isolated: bool, *args: str) -> list[str]:
    """The runner under this interpreter; in a fresh network namespace (loopback up) when isolated."""
    if isolated:
        return ["unshare", "-n", "--", sys.executable, str(RUNNER_MAIN), "--netns", *args]
    return [sys.executable, str(RUNNER_MAIN), *args]


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


def _interrupted() -> RunResult:
    return RunResult(exit_code=None, interrupted=True)


class Executor(Protocol):
    def run(self, request: RunRequest) -> RunResult: ...

    def stop(self) -> None:
        """End every run now (they report `interrupted`); later requests are refused."""

    def close(self) -> None:
        """Release the executor once every run has ended."""


class WarmExecutor:
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
            self.process.wait()
            raise RuntimeError("the warm runner failed to start")
        self._lock = threading.Lock()
        self._waiting: dict[str, threading.Event] = {}
        self._counter = 0
        self._stopped = False
        self._ended = False
        """The server process has ended (after stop(), or on its own: a crash)."""
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
        with self._lock:  # the server ended: release everyone still waiting
            self._ended = True
            for event in self._waiting.values():
                event.set()
            self._waiting.clear()

    def run(self, request: RunRequest) -> RunResult:
        assert self.process.stdin is not None
        event = threading.Event()
        with self._lock:
            if self._stopped:
                return _interrupted()
            if self._ended:
                return RunResult(exit_code=None, runner_error=f"the warm runner ended ({self.process.poll()})")
            self._counter += 1
            ident = str(self._counter)
            self._waiting[ident] = event
            try:
                self.process.stdin.write(f"{ident} {request.to_json()}\n")
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError):
                return _interrupted()
        if not event.wait(request.timeout + ANSWER_GRACE):
            return RunResult(exit_code=None, runner_error="the warm runner did not answer")
        return RunResult.read(request.run_dir)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(STOP_WAIT)
        except (OSError, subprocess.TimeoutExpired):
            self._kill()

    def close(self) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
            self.process.wait(STOP_WAIT)
        except (OSError, subprocess.TimeoutExpired):
            self._kill()

    def _kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            pass
        self.process.wait()


class ColdExecutor:
    """A fresh `runner --supervise` process per request."""

    def __init__(self, isolated: bool) -> None:
        self.isolated = isolated
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._stopped = False

    def run(self, request: RunRequest) -> RunResult:
        request_path = Path(request.run_dir) / "request.json"
        request_path.write_text(request.to_json(), encoding="utf-8")
        cmd = runner_command(self.isolated, "--supervise", str(request_path))
        with self._lock:
            if self._stopped:
                return _interrupted()
            process = subprocess.Popen(cmd, env=base_env(), stdin=subprocess.DEVNULL)
            self._running.add(process)
        try:
            process.wait(request.timeout + ANSWER_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return RunResult(exit_code=None, runner_error="the runner did not answer")
        finally:
            with self._lock:
                self._running.discard(process)
        return RunResult.read(request.run_dir)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            running = list(self._running)
        for process in running:
            try:
                process.send_signal(signal.SIGTERM)
            except OSError:
                pass
        for process in running:
            try:
                process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                process.kill()

    def close(self) -> None:
        pass
