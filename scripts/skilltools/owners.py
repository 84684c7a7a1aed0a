"""Who owns a leftover: every temp folder and database a check creates carries its process's identity.

A checker killed with SIGKILL cannot clean up; the next one removes what belongs to dead checkers, and never
what a live one (another engineer's, on the same machine and PostgreSQL server) is using. Identity is the
pid plus the process's start time (pids are reused) plus a host tag (a PostgreSQL server may be shared).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

TEMP_PREFIX = "skilltools-examples-"
DB_PREFIX = "skcheck_"
HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]
_counter = itertools.count(1)


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    return int(stat[stat.rfind(")") + 2 :].split()[19])


def me() -> str:
    """`HOST_PID_START` of this process."""
    pid = os.getpid()
    return f"{HOST}_{pid}_{start_time(pid) or 0}"


def dead(owner: str) -> bool:
    """Whether `HOST_PID_START` names a process of this host that no longer runs."""
    host, pid, start = owner.split("_")
    return host == HOST and start_time(int(pid)) != int(start)


OWNER = re.compile(r"([0-9a-f]{4}_\d+_\d+)")


def session_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{me()}_"))


def database_prefix() -> str:
    """A fresh name prefix for one check's databases (a process may run several checks)."""
    return f"{DB_PREFIX}{me()}_{next(_counter)}"


def owner_of(name: str, prefix: str) -> str | None:
    match = OWNER.match(name, len(prefix)) if name.startswith(prefix) else None
    return match[1] if match else None


def sweep_temp(parent: Path | None = None) -> list[Path]:
    """Remove the session folders of dead checkers; returns what was removed."""
    removed = []
    for path in Path(parent or tempfile.gettempdir()).glob(TEMP_PREFIX + "*"):
        owner = owner_of(path.name, TEMP_PREFIX)
        if owner and dead(owner):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def stale_database(name: str) -> bool:
    owner = owner_of(name, DB_PREFIX)
    return owner is not None and dead(owner)
