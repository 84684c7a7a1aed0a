"""The supervisor: run one block in its own process group, enforce its time limit, keep its output's tail,
and afterwards kill and name anything it left running (it is a child subreaper, so orphans come back to it).

Nothing outlives it: the block dies with it (PR_SET_PDEATHSIG), and SIGTERM (the checker being interrupted,
or the warm server ending) kills the block at once and records the run as interrupted.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import time
from types import FrameType

from .bootstrap import bootstrap
from .protocol import EXCEPTION_FILE, ExceptionRecord, RunRequest, RunResult

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
DRAIN_SECONDS = 1.0
"""How long to wait for the output pipes to close once everything the block started is dead."""


class Interrupted(Exception):
    """SIGTERM: the checker wants this run stopped now."""


def prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def die_with_parent(sig: int, parent: int) -> None:
    """Receive `sig` when the parent dies; when it is already gone, now."""
    prctl(PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)


class Tail:
    """The last `limit` bytes written to a stream, and how many came before them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        extra = len(self.data) - self.limit
        if extra > 0:
            del self.data[:extra]
            self.dropped += extra

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class Capture:
    """The block's stdout and stderr as pipes, read while it runs: memory stays bounded by the limit."""

    def __init__(self, limit: int) -> None:
        self.out_read, self.out_write = os.pipe()
        self.err_read, self.err_write = os.pipe()
        self.tails = {self.out_read: Tail(limit), self.err_read: Tail(limit)}
        self.open = [self.out_read, self.err_read]

    def child_side(self) -> None:
        os.dup2(self.out_write, 1)
        os.dup2(self.err_write, 2)
        for fd in (self.out_read, self.err_read, self.out_write, self.err_write):
            os.close(fd)

    def parent_side(self) -> None:
        os.close(self.out_write)
        os.close(self.err_write)

    def read(self, ready: list[int]) -> None:
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if chunk:
                self.tails[fd].add(chunk)
            else:
                os.close(fd)
                self.open.remove(fd)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.open and (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(self.open, [], [], remaining)
            self.read(ready)
        for fd in self.open:
            os.close(fd)
        self.open.clear()


def _start_block(request: RunRequest, capture: Capture) -> int:
    parent = os.getpid()
    pid = os.fork()
    if pid:
        capture.parent_side()
        return pid
    try:
        die_with_parent(signal.SIGKILL, parent)
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(os.path.dirname(request.script))
        os.environ.clear()
        os.environ.update(request.env)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        capture.child_side()
        exception_path = os.path.join(request.run_dir, EXCEPTION_FILE)
        if request.cold:
            main = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__main__.py")
            flag = "1" if request.pytest else "0"
            argv = [request.python, main, "--bootstrap", request.script, flag, request.expect or "", exception_path]
            os.execve(argv[0], argv, request.env)
        import sys

        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - replaces the closed stdin for good
        sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        code = bootstrap(request.script, request.pytest, request.expect, exception_path)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 70
    os._exit(code & 0xFF)


def _wait(pid: int, timeout: float, capture: Capture) -> tuple[int | None, bool]:
    """Read output until the block ends; returns (wait status or None, timed out)."""
    deadline = time.monotonic() + timeout
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None  # no pidfd (old kernel): poll, backing off from 2 ms to 50 ms
    delay = 0.002
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return status, False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, True
            watched = capture.open + ([pidfd] if pidfd is not None else [])
            ready, _, _ = select.select(watched, [], [], remaining if pidfd is not None else min(delay, remaining))
            capture.read([fd for fd in ready if fd != pidfd])
            delay = min(delay * 1.5, 0.05)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _processes() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgid) of every live process we can see."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z":  # a zombie is already dead, only waiting to be reaped
            found.append((int(entry), int(fields[1]), int(fields[2])))
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return "?"


def _reap_all() -> bool:
    """Reap finished children; whether any child is still alive."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except OSError:
        return False
    return True


def kill_leftovers(me: int, group: int) -> list[str]:
    """Kill what the block left: its process group, and orphans re-parented to us. Returns their names."""
    names: list[str] = []
    for _ in range(50):
        if not _reap_all() and not _group_alive(group):
            break  # the common case: nothing left, and no need to scan /proc
        pids = [pid for pid, ppid, pgid in _processes() if pid != me and (pgid == group or ppid == me)]
        for pid in pids:
            if len(names) < 10:
                names.append(_cmdline(pid))
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)
    return list(dict.fromkeys(names))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough; the cleanup must not be cut short
    raise Interrupted


def supervise(request: RunRequest) -> RunResult:
    """Run one block to completion, its time limit or SIGTERM; write and return the result."""
    me = os.getpid()
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    capture = Capture(request.output_limit)
    started = time.monotonic()
    pid = _start_block(request, capture)
    status: int | None = None
    timed_out = interrupted = False
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        status, timed_out = _wait(pid, request.timeout, capture)
    except Interrupted:
        interrupted = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    duration = time.monotonic() - started
    if status is None:
        try:
            os.killpg(pid, signal.SIGKILL)  # the kill on time-out / interrupt: the whole group, at once
        except OSError:
            pass
        _, status = os.waitpid(pid, 0)
    leftovers = kill_leftovers(me, pid)
    capture.drain(DRAIN_SECONDS)
    records: list[ExceptionRecord] = []
    exception_path = os.path.join(request.run_dir, EXCEPTION_FILE)
    if os.path.exists(exception_path):
        with open(exception_path, encoding="utf-8") as handle:
            records = [ExceptionRecord.from_dict(item) for item in json.load(handle)]
    out, err = capture.tails[capture.out_read], capture.tails[capture.err_read]
    result = RunResult(
        exit_code=os.waitstatus_to_exitcode(status),
        duration=round(duration, 4),
        timed_out=timed_out,
        interrupted=interrupted,
        leftovers=[] if timed_out or interrupted else leftovers,
        exceptions=records,
        pytest=request.pytest,
        stdout=out.text(),
        stderr=err.text(),
        dropped=out.dropped + err.dropped,
    )
    result.write(request.run_dir)
    return result
