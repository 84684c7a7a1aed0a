"""What ships: askill.yaml's `files` entries (exact paths or glob patterns) resolved against the skill root."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from .model import Problem
from .parse import MANIFEST_FILE
from .rules import problem

GLOB_CHARS = set("*?[")
NEVER_SHIP = {".env", ".DS_Store", "__pycache__", ".git", ".venv", "Thumbs.db"}
"""Caches and secrets that no pattern may pull in, whatever it says."""


def _never_ship(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    return any(part in NEVER_SHIP or part.endswith((".pyc", ".pyo")) or part.startswith(".env") for part in parts)


def through_symlink(root: Path, path: Path) -> bool:
    """The file, or a folder between it and the root, is a symlink (a symlinked references/ ships outside
    files as surely as a symlinked file)."""
    return any(part.is_symlink() for part in [path, *path.parents] if part != root and part.is_relative_to(root))


def shipped_files(root: Path, entries: Any, line: int) -> tuple[list[str], list[Problem]]:
    """Sorted POSIX paths of the files the manifest ships, and the problems with its entries."""
    if not isinstance(entries, list):
        return [], []
    files: set[str] = set()
    problems: list[Problem] = []
    root = root.resolve()
    for entry in entries:
        if not isinstance(entry, str):
            continue
        pure = PurePosixPath(entry)
        if pure.is_absolute() or ".." in pure.parts or "\\" in entry:
            detail = f"files entry {entry!r} must be a relative path inside the skill"
            problems.append(problem("SKL703", MANIFEST_FILE, line, detail=detail))
            continue
        try:
            matches = sorted(root.glob(entry)) if GLOB_CHARS & set(entry) else [root / entry]
            links = {path for path in matches if through_symlink(root, path)}
        except (ValueError, OSError):  # e.g. 'a**', or a name too long for the OS (found by fuzzing)
            message = f"files entry {entry!r} is not a usable path or pattern"
            problems.append(problem("SKL703", MANIFEST_FILE, line, detail=message))
            continue
        matched = False
        for path in matches:
            rel = path.relative_to(root).as_posix()
            if path in links:
                problems.append(problem("SKL704", MANIFEST_FILE, line, path=rel))
                continue
            if not path.is_file():
                continue
            if _never_ship(rel):
                problems.append(problem("SKL705", MANIFEST_FILE, line, path=rel))
                continue
            files.add(rel)
            matched = True
        if not matched and not links:
            problems.append(problem("SKL701", MANIFEST_FILE, line, entry=entry))
    return sorted(files), problems
