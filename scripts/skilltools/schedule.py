"""In what order to start the runs: the longest first, as measured by earlier checks.

A check ends when its slowest run ends. Started late, one 30-second example keeps the whole check waiting
after every other run is done; started first, it overlaps them all (longest-processing-time-first). Each check
records how long every run took, keyed by the program's source and database, in a small JSON file in the
user's cache; runs never measured go first, since nothing says they are short. The file is only a hint: a
missing, unreadable or corrupt file means plan order, and it is replaced atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

MAX_ENTRIES = 5000
"""Oldest measurements beyond this are dropped, so the file stays small however many skills are checked."""


def default_path() -> Path:
    """`$XDG_CACHE_HOME/dbos-python-skill/durations.json`, else `~/.cache/...`."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dbos-python-skill" / "durations.json"


def run_key(source: str, database: str) -> str:
    return hashlib.sha256(f"{database}\0{source}".encode()).hexdigest()[:20]


def longest_first(keys: Sequence[str], known: Mapping[str, float]) -> list[int]:
    """Indexes of `keys` in start order: never measured first (in plan order), then longest measured first."""
    return sorted(range(len(keys)), key=lambda i: (keys[i] in known, -known.get(keys[i], 0.0), i))


def load(path: Path | None) -> dict[str, float]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(k, str) and isinstance(v, (int, float))}


def save(path: Path | None, measured: Mapping[str, float]) -> None:
    """Merge this check's durations into the file as it is now (checks may run side by side), atomically; a
    cache that cannot be written is skipped: it is only a hint."""
    if path is None or not measured:
        return
    merged = {k: v for k, v in load(path).items() if k not in measured} | {k: round(v, 3) for k, v in measured.items()}
    kept = dict(list(merged.items())[-MAX_ENTRIES:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(kept, handle)
        os.replace(temp, path)
    except OSError:
        Path(temp).unlink(missing_ok=True)
