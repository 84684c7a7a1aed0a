"""Progress of a long fuzzing hunt: a case counter that reports every ``every`` cases of a target."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable


class FuzzCounter(Counter[str]):
    """Counts generated cases per target; every ``every`` cases of one target it calls ``write`` with a line
    like ``fuzz: validate 500/3000 cases``, so a hunt of minutes shows it is alive (0 disables it)."""

    def __init__(self, every: int, planned: int, write: Callable[[str], None]) -> None:
        super().__init__()
        self.every = every
        self.planned = planned
        self.write = write

    def __setitem__(self, key: str, value: int) -> None:
        super().__setitem__(key, value)
        if self.every and value % self.every == 0:
            self.write(f"fuzz: {key} {value}/{self.planned} cases")
