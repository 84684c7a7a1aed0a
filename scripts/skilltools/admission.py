"""When to start the next example run: as soon as a CPU is free, however many runs are already waiting.

A DBOS example spends most of its life asleep (on SQLite, `DBOS.destroy()` waits up to a second for the
notification listener's poll), so the checker keeps many runs in flight (`jobs`, 12 per core). Their launches,
though, are CPU-bound, and a timing-sensitive example suffers when more programs compute than there are
cores. The gate holds a new start while the machine's runnable threads fill every core; it holds at most
`max_hold` seconds, so a machine busy with other work slows a check down and never stalls it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROC_STAT = Path("/proc/stat")


def parse_procs_running(stat_text: str) -> int | None:
    """The `procs_running` figure of a /proc/stat text (runnable threads right now, the reader included)."""
    for line in stat_text.splitlines():
        name, _, value = line.partition(" ")
        if name == "procs_running" and value.strip().isdigit():
            return int(value)
    return None


def runnable_threads() -> int | None:
    """Runnable threads on this machine now, or None where the kernel does not say (not Linux)."""
    try:
        return parse_procs_running(PROC_STAT.read_text())
    except OSError:
        return None


@dataclass
class CpuGate:
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    read_running: Callable[[], int | None] = runnable_threads
    max_hold: float = 1.0
    poll: float = 0.01
    spacing: float = 0.01
    """Pause after each admission, so a run just admitted is on the CPU before the next caller looks."""
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def free(self) -> bool:
        """A core is idle: fewer runnable threads than cores, not counting the reader itself."""
        running = self.read_running()
        return running is None or running - 1 < self.cores

    def wait(self) -> float:
        """Block until a core is free, or until `max_hold` seconds after this caller arrived; seconds held.
        Callers are admitted one at a time; one that already waited its `max_hold` in the queue goes through
        at once, so a machine busy with other work does not serialise the runs."""
        arrived = self.clock()
        with self._lock:
            while self.clock() - arrived < self.max_hold and not self.free():
                self.sleep(self.poll)
            held = self.clock() - arrived
            if self.spacing:
                self.sleep(self.spacing)
            return held


def _never() -> int | None:
    return None


OPEN = CpuGate(read_running=_never, spacing=0.0)
"""A gate that never holds (cold runs, `--no-gate`, platforms without /proc/stat behave like this)."""
