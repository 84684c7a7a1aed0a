"""A clean, committed copy of this checkout, for tests that need one whatever state the work tree is in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.name=Checkout Copy", "-c", "user.email=copy@example.com"]
    done = subprocess.run([*command, *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def copy_checkout(target: Path, source: Path = REPO) -> Path:
    """Tracked and untracked-but-not-ignored files of ``source`` as they are now (uncommitted edits included),
    committed as the only commit of a new repository in ``target``: a clean work tree, like a fresh clone."""
    listed = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in sorted(set(filter(None, listed.split("\0")))):
        path = source / name
        if path.is_file() and not path.is_symlink():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
    git(target, "init", "-q", "-b", "main")
    git(target, "config", "commit.gpgsign", "false")
    git(target, "config", "tag.gpgsign", "false")
    git(target, "add", "-A")
    git(target, "commit", "-q", "--no-verify", "-m", "snapshot of the checkout")
    return target
