"""Run one example program in isolation and record what happened. Standard library only.

Three roles, one file (so the cold path can run it by file name without importing the package):

* **bootstrap** (the block process): run the script as `__main__` (or pytest on it), record the exception
  that escaped, then shut down the way the interpreter does: join non-daemon threads, run atexit.
* **supervisor**: start the block process in its own process group, enforce the time limit, and afterwards
  kill and report anything the block left running (it is a child subreaper, so orphans come back to it).
* **server** (the warm pool): import the heavy modules once, then fork a supervisor per request. A forked
  block skips interpreter start-up and `import dbos`, which is most of a cold run's cost.

A request is a JSON object: run_dir, script, pytest, expect, timeout, env, cold, python.
The supervisor writes run_dir/result.json; the block writes run_dir/exception.json.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import time
from typing import Any

RESULT_FILE = "result.json"
EXCEPTION_FILE = "exception.json"
STDOUT_FILE = "stdout.txt"
STDERR_FILE = "stderr.txt"
PRELOAD = ("dbos", "sqlalchemy", "psycopg", "pydantic", "fastapi", "fastapi.testclient", "httpx", "flask", "pytest")
"""Imported once by the warm server; a module that is not installed is simply left to the block."""
PR_SET_CHILD_SUBREAPER = 36
MESSAGE_LIMIT = 4000
"""Characters of an exception message kept (an `expect=Name:"text"` must match within them)."""


# --- bootstrap: runs inside the block process ------------------------------------------------------------


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _matches(exc: BaseException, expect: str | None) -> bool:
    """Exactly that type: a bare class name, or a dotted path that resolves to the very class."""
    if not expect:
        return False
    kind = type(exc)
    if "." not in expect:
        return kind.__name__ == expect
    if f"{kind.__module__}.{kind.__qualname__}" == expect:
        return True
    module_name, _, attr = expect.rpartition(".")
    try:
        import importlib

        return getattr(importlib.import_module(module_name), attr, None) is kind
    except Exception:
        return False


def _describe(exc: BaseException, expect: str | None) -> dict[str, Any]:
    kind = type(exc)
    return {
        "name": kind.__name__,
        "qualified": f"{kind.__module__}.{kind.__qualname__}",
        "message": str(exc)[:MESSAGE_LIMIT],
        "matches": _matches(exc, expect),
    }


class _PytestRecorder:
    """Records the exception type of every failed test phase, so `expect=` works for pytest blocks too."""

    def __init__(self, expect: str | None) -> None:
        self.expect = expect
        self.failures: list[dict[str, Any]] = []

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.excinfo is not None and call.excinfo.typename not in ("Skipped", "XFailed", "Exit"):
            self.failures.append(_describe(call.excinfo.value, self.expect))


def bootstrap(script: str, pytest_mode: bool, expect: str | None, exception_path: str) -> int:
    """Run the block; returns the process exit code the interpreter would have produced."""
    import atexit
    import runpy
    import threading
    import traceback

    sys.argv = [script]
    if sys.path:
        sys.path[0] = os.path.dirname(script)
    record: dict[str, Any] | None = None
    code = 0
    try:
        if pytest_mode:
            import pytest

            recorder = _PytestRecorder(expect)
            code = int(pytest.main(["-q", "-p", "no:cacheprovider", script], plugins=[recorder]))
            if recorder.failures:
                record = {"pytest_failures": recorder.failures}
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:
        record = _describe(exc, expect)
        traceback.print_exc()
        code = 1
    # What Py_FinalizeEx does before the process ends: wait for non-daemon threads, then atexit.
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        traceback.print_exc()
    if record is not None:
        with open(exception_path, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return code


# --- supervisor ------------------------------------------------------------------------------------------


def _processes() -> list[tuple[int, int, int]]:
    """(pid, ppid, pgid) of every process we can see."""
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
        if fields[0] == "Z":
            continue  # already dead, only waiting to be reaped
        found.append((int(entry), int(fields[1]), int(fields[2])))
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return "?"


def _leftovers(me: int, group: int) -> list[int]:
    """Processes the block left behind: in its process group, or orphans re-parented to us."""
    return [pid for pid, ppid, pgid in _processes() if pid != me and (pgid == group or ppid == me)]


def _kill_all(me: int, group: int) -> list[str]:
    names: list[str] = []
    for _ in range(50):
        pids = _leftovers(me, group)
        if not pids:
            break
        for pid in pids:
            name = _cmdline(pid)
            if name and len(names) < 10:
                names.append(name)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap_all()
        time.sleep(0.02)
    return list(dict.fromkeys(names))


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _wait(pid: int, timeout: float) -> tuple[int | None, bool]:
    """Wait for the block; returns (wait status or None, timed out)."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return status, False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, True
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.05)


def _start_block(request: dict[str, Any]) -> int:
    run_dir = request["run_dir"]
    work = os.path.dirname(request["script"])
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(work)
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(os.open(os.path.join(run_dir, STDOUT_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
        os.dup2(os.open(os.path.join(run_dir, STDERR_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        exception_path = os.path.join(run_dir, EXCEPTION_FILE)
        if request["cold"]:
            argv = [
                request["python"],
                os.path.abspath(__file__),
                "--bootstrap",
                request["script"],
                "1" if request["pytest"] else "0",
                request.get("expect") or "",
                exception_path,
            ]
            os.execve(argv[0], argv, request["env"])
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - replaces the closed stdin for good
        sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace")
        code = bootstrap(request["script"], request["pytest"], request.get("expect"), exception_path)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 70
    os._exit(code & 0xFF)


def supervise(request: dict[str, Any]) -> dict[str, Any]:
    """Run one block to completion or its time limit; write and return the result."""
    me = os.getpid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    started = time.monotonic()
    pid = _start_block(request)
    status, timed_out = _wait(pid, float(request["timeout"]))
    duration = time.monotonic() - started
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        _, status = os.waitpid(pid, 0)
    leftovers = _kill_all(me, pid)
    result: dict[str, Any] = {
        "exit_code": os.waitstatus_to_exitcode(status) if status is not None else None,
        "timed_out": timed_out,
        "leftovers": [] if timed_out else leftovers,
        "duration": round(duration, 4),
    }
    exception_path = os.path.join(request["run_dir"], EXCEPTION_FILE)
    if os.path.exists(exception_path):
        with open(exception_path, encoding="utf-8") as handle:
            result["exception"] = json.load(handle)
    tmp = os.path.join(request["run_dir"], RESULT_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.replace(tmp, os.path.join(request["run_dir"], RESULT_FILE))
    return result


# --- network isolation and the warm server ---------------------------------------------------------------


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


def _fork_supervisor(request: dict[str, Any]) -> int:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setsid()
            supervise(request)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def serve(preload: bool) -> None:
    """Answer requests concurrently: each stdin line `ID JSON` forks a supervisor; `done ID` when it ends.

    The server itself never starts a thread, so forking it is safe; it only polls stdin and reaps children.
    """
    import select
    import warnings

    if preload:
        import importlib

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in PRELOAD:
                try:
                    importlib.import_module(name)
                except Exception:
                    pass
    print("ready", flush=True)
    pending: dict[int, str] = {}
    buffer = b""
    open_input = True
    while open_input or pending:
        if open_input:
            ready, _, _ = select.select([0], [], [], 0.005 if pending else None)
            if ready:
                chunk = os.read(0, 65536)
                open_input = bool(chunk)
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        ident, _, payload = line.decode().partition(" ")
                        pending[_fork_supervisor(json.loads(payload))] = ident
        else:
            time.sleep(0.005)
        while pending:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pending.clear()
                break
            if pid == 0:
                break
            if pid in pending:
                print(f"done {pending.pop(pid)}", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--bootstrap"]:
        script, pytest_flag, expect, exception_path = argv[1:5]
        return bootstrap(script, pytest_flag == "1", expect or None, exception_path)
    if "--netns" in argv:
        argv = [arg for arg in argv if arg != "--netns"]
        loopback_up()
    if argv[:1] == ["--serve"]:
        serve(preload=True)
        return 0
    if argv[:1] == ["--supervise"]:
        with open(argv[1], encoding="utf-8") as handle:
            request = json.load(handle)
        os.setsid()
        supervise(request)
        return 0
    print("usage: runner.py --serve | --supervise REQUEST.json | --bootstrap ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
