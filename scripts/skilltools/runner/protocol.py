"""What the checker asks the runner (`RunRequest`) and what the runner answers (`RunResult`). Stdlib only.

Both travel as JSON: a request on the warm server's stdin (or in a file for a cold run), a result in
`run_dir/result.json`, written atomically by the supervisor. This module is the only place their fields are
spelled.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_FILE = "result.json"
EXCEPTION_FILE = "exception.json"
OUTPUT_LIMIT = 64 * 1024
"""Bytes kept of each of stdout and stderr per run: the last ones; the rest is counted, not stored."""
MESSAGE_LIMIT = 4000
"""Characters of an exception message kept (an `expect=Name:"text"` must match within them)."""


@dataclass(frozen=True)
class RunRequest:
    run_dir: str
    script: str
    pytest: bool
    expect: str | None
    """Exception type the program must raise (class name or dotted path); the message is judged later."""
    timeout: float
    env: dict[str, str]
    cold: bool
    """Start a fresh interpreter for the block instead of running it in the forked supervisor."""
    python: str
    output_limit: int = OUTPUT_LIMIT

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunRequest:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class ExceptionRecord:
    """An exception that escaped the block (or failed one pytest phase)."""

    name: str
    qualified: str
    message: str
    matches: bool
    """Whether its type is exactly the requested `expect` type."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExceptionRecord:
        return cls(str(data["name"]), str(data["qualified"]), str(data["message"]), bool(data["matches"]))


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None
    duration: float = 0.0
    timed_out: bool = False
    interrupted: bool = False
    """Stopped by the checker (Ctrl-C, or the checker died) before the block ended."""
    leftovers: list[str] = field(default_factory=list)
    """Command lines of processes the block left running (all killed)."""
    exceptions: list[ExceptionRecord] = field(default_factory=list)
    """The exception that escaped, or one per failed pytest phase."""
    pytest: bool = False
    stdout: str = ""
    stderr: str = ""
    dropped: int = 0
    """Bytes of output not kept (only the last OUTPUT_LIMIT bytes of each stream are)."""
    runner_error: str | None = None
    """Set when the runner itself failed and no verdict on the block is possible."""

    @property
    def output(self) -> str:
        """stdout then stderr, each starting on a line of its own."""
        joint = "\n" if self.stdout and self.stderr and not self.stdout.endswith("\n") else ""
        return self.stdout + joint + self.stderr

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        data = json.loads(text)
        data["exceptions"] = [ExceptionRecord.from_dict(item) for item in data.get("exceptions", [])]
        return cls(**data)

    @classmethod
    def read(cls, run_dir: str) -> RunResult:
        """The result the supervisor wrote, or a runner error saying it wrote none."""
        try:
            with open(os.path.join(run_dir, RESULT_FILE), encoding="utf-8") as handle:
                return cls.from_json(handle.read())
        except (OSError, ValueError, TypeError, KeyError) as error:
            return cls(exit_code=None, runner_error=f"the runner recorded no result ({type(error).__name__})")

    def write(self, run_dir: str) -> None:
        path = os.path.join(run_dir, RESULT_FILE)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(self.to_json())
        os.replace(path + ".tmp", path)
