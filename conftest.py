"""Root conftest: turn the skill's code examples into pytest items (see scripts/skilltools/pytest_plugin.py),
and hold the test run to leaving the work tree as it found it.

`pytester` drives the plugin itself from tests/test_pytest_plugin.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["skilltools.pytest_plugin", "pytester"]

GIT_STATUS = pytest.StashKey[str]()


def git_status(root: Path) -> str | None:
    """`git status --porcelain` of the checkout holding ``root``, or None outside a git checkout."""
    done = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"], capture_output=True, text=True
    )
    return done.stdout if done.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    status = git_status(session.config.rootpath)
    if status is not None:
        session.config.stash[GIT_STATUS] = status


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A test run must not write into the repository (CI: a fresh clone + `make test` leaves `git status`
    clean). New entries fail the run when the tree was clean at the start, and are reported otherwise."""
    before = session.config.stash.get(GIT_STATUS, None)
    after = git_status(session.config.rootpath)
    if before is None or after is None:
        return
    new = sorted(set(after.splitlines()) - set(before.splitlines()))
    if not new:
        return
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    verdict = "FAILED: the tree was clean before" if before == "" else "the tree was already dirty, so only a warning"
    lines = [f"!!! the test run changed the work tree ({verdict}); write to a temp dir instead:", *new]
    if terminal is not None:
        for line in lines:
            terminal.write_line(line, red=True, bold=True)
    if before == "" and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
