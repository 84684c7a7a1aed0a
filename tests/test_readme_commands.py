"""The READMEs' shell blocks work as written: each README runs in order, in one bash session, in a fresh copy
of this checkout, as a newcomer would paste them (see readme_blocks.py for the markers and substitutions).

- The copy gets `.venv` as a symlink to the virtualenv running these tests, and its pyproject.toml an old
  mtime, so `make build` finds the install up to date and runs its real recipe (no pip, no new venv).
- `make test` would recurse into this test: README.md marks that block "collect only", so its pytest step
  collects the whole suite (which must succeed) and runs nothing; this run of `make test` is the real one.
- PATH holds no virtualenv and DBOS_* / PYTEST_* are unset: a README that forgets `.venv/bin/` or
  `source .venv/bin/activate` fails here exactly as on a fresh machine. HOME is a temp folder.
- PostgreSQL URLs in the examples' READMEs become fresh databases on DBOS_TEST_POSTGRES_URL's server (the
  apps must create them), dropped at the end; servers a README starts must be stopped by the README itself.
- Afterwards `git status --porcelain` of the copy must be empty: running the apps, `make build` and the
  tools writes nothing into the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from checkout_copy import copy_checkout
from readme_blocks import MarkerError, ShellBlock, Substitutions, readmes, shell_blocks, with_database
from readme_session import run_session

REPO = Path(__file__).resolve().parent.parent
NEEDS_POSTGRES = "postgresql://postgres:postgres@localhost:5432/"


def reuse_virtualenv(clone: Path) -> None:
    """Point the copy's .venv at the running virtualenv and prove `make build` will not reinstall into it."""
    venv = Path(sys.prefix)
    if venv == Path(sys.base_prefix) or not (venv / ".installed-stamp").exists():
        pytest.fail(f"run the tests from the project's virtualenv (made by `make build`), not {venv}", pytrace=False)
    (clone / ".venv").symlink_to(venv, target_is_directory=True)
    os.utime(clone / "pyproject.toml", (0, 0))  # older than the stamp: make considers the install current
    plan = subprocess.run(["make", "-n", "build"], cwd=clone, capture_output=True, text=True, check=True).stdout
    assert "pip install" not in plan and "-m venv" not in plan, f"make would reinstall the venv:\n{plan}"


def session_env(home: Path) -> dict[str, str]:
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBOS_", "PYTEST_", "VIRTUAL_ENV", "SKILL_", "PYTHON", "INGEST_", "REPORT_", "ORDER_"))
    }
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    env["HOME"] = str(home)
    return env


def drop_databases(server: str, names: list[str]) -> None:
    engine = sa.create_engine(
        sa.make_url(with_database(server, "postgres")).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with engine.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def readme_params() -> list[str]:
    return [path.relative_to(REPO).as_posix() for path in readmes(REPO)]


def test_every_shell_block_is_run_or_marked_with_a_reason() -> None:
    """Markers parse, name a reason and sit right before a shell block; every README has a block to run."""
    for path in readmes(REPO):
        try:
            blocks = shell_blocks(path)
        except MarkerError as error:
            pytest.fail(str(error), pytrace=False)
        assert any(b.mode != "not run" for b in blocks), f"{path}: no shell block is run"
        for block in blocks:
            assert block.mode == "run" or len(block.reason) > 10, f"{block.where(REPO)}: give the reason"


def test_markers_are_checked(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text("<!-- not run: a benchmark that takes minutes -->\n\n```bash\nbench\n```\n\n```sh\nok\n```\n")
    assert [(b.mode, b.reason, b.line) for b in shell_blocks(page)] == [
        ("not run", "a benchmark that takes minutes", 3),
        ("run", "", 7),
    ]
    page.write_text("<!-- collect only: reason here -->\n\ntext\n\n```bash\nmake test\n```\n")
    with pytest.raises(MarkerError, match=r"README.md:1: marker not followed by a shell block"):
        shell_blocks(page)


@pytest.mark.parametrize("readme", readme_params())
def test_readme_commands_work_as_written(readme: str, tmp_path: Path, readme_report: list[str]) -> None:
    path = REPO / readme
    blocks = shell_blocks(path)
    server = os.environ.get("DBOS_TEST_POSTGRES_URL", "")
    if not server and any(NEEDS_POSTGRES in b.text for b in blocks if b.mode != "not run"):
        message = f"{readme} needs PostgreSQL: set DBOS_TEST_POSTGRES_URL (CI does)"
        if os.environ.get("SKILL_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    clone, work, home = tmp_path / "checkout", tmp_path / "session", tmp_path / "home"
    for folder in (clone, work, home):
        folder.mkdir()
    copy_checkout(clone)
    reuse_virtualenv(clone)
    subs = Substitutions(server, free_port(), uuid.uuid4().hex[:8], [])
    to_run = [b for b in blocks if b.mode != "not run"]
    try:
        result = run_session(
            [ShellBlock(clone / readme, b.line, b.text, b.mode, b.reason) for b in to_run],
            cwd=clone,
            env=session_env(home),
            work=work,
            substitutions=subs,
        )
    finally:
        if subs.created:
            drop_databases(server, subs.created)
    ran = [r for r in result.runs if r.ok]
    readme_report.append(
        f"{readme}: {len(ran)} of {len(blocks)} shell blocks run"
        + "".join(f"\n    not run {b.where(REPO)}: {b.reason}" for b in blocks if b.mode == "not run")
        + "".join(f"\n    collect only {b.where(REPO)}: {b.reason}" for b in blocks if b.mode == "collect only")
    )
    for run in result.runs:
        where = f"{readme}:{run.block.line}"
        if run.timed_out:
            pytest.fail(f"{where}: still running after 180 s\n{run.output[-4000:]}", pytrace=False)
        if run.failures:
            detail = "\n".join(run.failures)
            pytest.fail(f"{where}: a command failed\n{detail}\n--- output ---\n{run.output[-6000:]}", pytrace=False)
    assert len(result.runs) == len(to_run)
    assert not result.left_running, f"{readme} left processes running (stop them in the README):\n" + "\n".join(
        result.left_running
    )
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=clone, capture_output=True, text=True
    )
    assert status.stdout == "", f"{readme}'s commands changed the repository:\n{status.stdout}"
