"""Inside the block process: run the script as `__main__` (or pytest on it), record what escaped, shut down.

The shutdown mirrors the interpreter's own (join non-daemon threads, then atexit), because a forked warm
block ends with `os._exit` and would otherwise skip both.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from typing import Any

from .protocol import MESSAGE_LIMIT, ExceptionRecord


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def type_matches(exc: BaseException, expect: str | None) -> bool:
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


def describe(exc: BaseException, expect: str | None) -> ExceptionRecord:
    kind = type(exc)
    try:
        message = str(exc)[:MESSAGE_LIMIT]
    except Exception as error:  # a broken __str__ must not hide the exception itself
        message = f"<str() failed: {type(error).__name__}>"
    return ExceptionRecord(kind.__name__, f"{kind.__module__}.{kind.__qualname__}", message, type_matches(exc, expect))


class _PytestRecorder:
    """Records the exception of every failed test phase, so `expect=` works for pytest blocks too."""

    def __init__(self, expect: str | None) -> None:
        self.expect = expect
        self.failures: list[ExceptionRecord] = []

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        if call.excinfo is not None and call.excinfo.typename not in ("Skipped", "XFailed", "Exit"):
            self.failures.append(describe(call.excinfo.value, self.expect))


def bootstrap(script: str, pytest_mode: bool, expect: str | None, exception_path: str) -> int:
    """Run the block; returns the process exit code the interpreter would have produced."""
    import atexit
    import runpy
    import threading
    import traceback

    sys.argv = [script]
    if sys.path:
        sys.path[0] = os.path.dirname(script)
    records: list[ExceptionRecord] = []
    code = 0
    try:
        if pytest_mode:
            import pytest

            recorder = _PytestRecorder(expect)
            code = int(pytest.main(["-q", "-p", "no:cacheprovider", script], plugins=[recorder]))
            records = recorder.failures
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:
        records = [describe(exc, expect)]
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
    if records:
        with open(exception_path, "w", encoding="utf-8") as handle:
            json.dump([asdict(record) for record in records], handle)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return code
