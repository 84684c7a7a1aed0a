"""Which skill files an agent read, from access times: no tracing, so it works with any agent CLI.

Under Linux's default `relatime`, a read updates a file's access time only when that time is not after the
file's modification time. `arm()` sets every access time before the modification time, so the first read
afterwards moves it past; `read_files()` lists those files. Anything that opens a file for reading counts
(`cat`, `grep`, an editor's view). A filesystem mounted `noatime` records nothing: `recording()` probes for
that, and the harness then reports the figure as unknown rather than as zero.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

_BACK_NS = 10 * 10**9


def _arm_file(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_mtime_ns - _BACK_NS, st.st_mtime_ns))


def arm(root: Path) -> None:
    """Make the next read of every file under `root` visible in its access time."""
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            _arm_file(path)


def _was_read(path: Path) -> bool:
    st = path.stat()
    return st.st_atime_ns > st.st_mtime_ns


def recording(scratch: Path) -> bool:
    """True when reads in `scratch`'s filesystem update access times (not mounted `noatime`)."""
    probe = scratch / ".atime-probe"
    probe.write_text("probe\n")
    _arm_file(probe)
    probe.read_text()
    seen = _was_read(probe)
    probe.unlink()
    return seen


def read_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and _was_read(p))


def lines_read(copies: Sequence[Path]) -> tuple[tuple[str, ...], int]:
    """(files read in any copy of the skill, relative to it; their total lines), each file counted once."""
    found: dict[str, int] = {}
    for root in copies:
        for path in read_files(root):
            found.setdefault(path.relative_to(root).as_posix(), path.read_bytes().count(b"\n"))
    return tuple(sorted(found)), sum(found.values())
