"""Executors report their own failures as runner errors, never as a verdict on the block."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from skilltools.executor import WarmExecutor, base_env
from skilltools.runner.protocol import RunRequest


def request(tmp_path: Path) -> RunRequest:
    work = tmp_path / "work"
    work.mkdir(parents=True)
    (work / "block.py").write_text("print('hi')\n")
    return RunRequest(str(tmp_path), str(work / "block.py"), False, None, 10.0, base_env(), False, sys.executable)


def test_a_run_completes_and_a_dead_warm_runner_is_reported(tmp_path: Path) -> None:
    executor = WarmExecutor(isolated=False)
    try:
        first = executor.run(request(tmp_path / "one"))
        assert (first.exit_code, first.stdout, first.runner_error) == (0, "hi\n", None)
        executor.process.send_signal(signal.SIGKILL)
        executor.process.wait()
        executor._reader.join(10)
        second = executor.run(request(tmp_path / "two"))
        assert second.runner_error is not None and second.runner_error.startswith("the warm runner ended")
    finally:
        executor.close()
