"""The warm pool and the command line.

The server imports the heavy modules once, then forks a supervisor per request: a forked block skips
interpreter start-up and `import dbos`, which is most of a cold run's cost. It never starts a thread, so
forking it is safe. It ends quietly, taking every run with it, when the checker closes its stdin, sends
SIGTERM, or dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from types import FrameType

from .bootstrap import bootstrap
from .protocol import RunRequest
from .supervisor import die_with_parent, supervise

PRELOAD = (
    "dbos",
    "sqlalchemy",
    "psycopg",
    "pydantic",
    "fastapi",
    "fastapi.testclient",
    "httpx",
    "flask",
    "pytest",
    # What DBOS.launch() imports on first use (about 70 ms of CPU per block when left to the block):
    "sqlite3",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "sqlalchemy.dialects.postgresql",
    "dbos._sys_db_sqlite",
    "dbos._sys_db_postgres",
)
"""Imported once by the warm server; a module that is not installed is simply left to the block."""
STOP_GRACE = 5.0
"""Seconds the supervisors get to kill their blocks and record the interruption before SIGKILL."""


def loopback_up() -> None:
    """In a fresh network namespace the loopback interface starts down; bring it up (root only)."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH14s", b"lo", flags | iff_up, b""))


def _fork_supervisor(request: RunRequest, wake: int) -> int:
    server = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.set_wakeup_fd(-1)
        os.close(wake)
        for sig in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        die_with_parent(signal.SIGTERM, server)
        supervise(request)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


_stopping: list[int] = []
"""Signals received that mean: stop everything (set by the handler; the loop wakes through the wakeup fd)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    _stopping.append(signum)


def _reap(pending: dict[int, str]) -> list[str]:
    """Idents of the runs whose supervisor has ended."""
    finished = []
    while pending:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid in pending:
            finished.append(pending.pop(pid))
    return finished


def _end_all(pending: dict[int, str]) -> None:
    """SIGTERM every supervisor (each kills its block and records the interruption), SIGKILL stragglers."""
    for pid in pending:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + STOP_GRACE
    while pending and time.monotonic() < deadline:
        _reap(pending)
        time.sleep(0.01)
    for pid in pending:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def serve(preload: bool) -> None:
    """Each stdin line `ID JSON` forks a supervisor; `done ID` is printed when it ends."""
    import warnings

    die_with_parent(signal.SIGTERM, os.getppid())
    signal.signal(signal.SIGTERM, _stop)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake select() via the fd
    if preload:
        import importlib

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in PRELOAD:
                try:
                    importlib.import_module(name)
                except Exception:
                    pass
    import gc

    gc.freeze()  # forked children's collections skip the preloaded objects: far fewer copy-on-write pages
    pending: dict[int, str] = {}
    buffer = b""
    try:
        print("ready", flush=True)
        while not _stopping:
            ready, _, _ = select.select([0, wake_read], [], [], 1.0)
            if wake_read in ready:
                os.read(wake_read, 4096)
            if 0 in ready:
                chunk = os.read(0, 1 << 16)
                if not chunk:
                    break  # the checker closed our stdin (or died): stop whatever still runs
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    ident, _, payload = line.decode().partition(" ")
                    if payload:
                        pending[_fork_supervisor(RunRequest.from_json(payload), wake_write)] = ident
            for ident in _reap(pending):
                print(f"done {ident}", flush=True)
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the checker is gone
    finally:
        _end_all(pending)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--bootstrap"]:
        script, pytest_flag, expect, exception_path = argv[1:5]
        return bootstrap(script, pytest_flag == "1", expect or None, exception_path)
    if "--netns" in argv:
        argv = [arg for arg in argv if arg != "--netns"]
        loopback_up()
    if argv[:1] == ["--serve"]:
        serve(preload=True)
        os._exit(0)  # skip the final flush of a stdout whose reader may be gone (no BrokenPipe noise)
    if argv[:1] == ["--supervise"]:
        with open(argv[1], encoding="utf-8") as handle:
            request = RunRequest.from_json(handle.read())
        os.setsid()
        die_with_parent(signal.SIGTERM, os.getppid())
        supervise(request)
        return 0
    print("usage: runner --serve | --supervise REQUEST.json | --bootstrap ...", file=sys.stderr)
    return 2
