"""Fixtures for the eval scenarios' acceptance tests (see evals/README.md for the contract).

Options:
  --workdir DIR          the code under test (an agent's workspace, a scenario's solution/ or starter/);
                         put first on sys.path, and the cwd of child processes started with ``procs``
  --db sqlite|postgres   the system database; PostgreSQL comes from DBOS_TEST_POSTGRES_URL (a missing URL
                         is a loud failure, never a skip)

Fixtures:
  workdir       Path of the code under test
  database_url  a fresh system database per test, also exported as DBOS_SYSTEM_DATABASE_URL (children
                inherit it); a PostgreSQL database is dropped at teardown
  module_databases  ``.create()`` makes more fresh PostgreSQL databases, dropped after the module
  procs         starts child processes (own process group, output logged), kills survivors at teardown
  load          ``load("module")`` imports a module of the code under test (a missing module fails the test)

Every test ends with ``DBOS.destroy()`` (before its database is dropped), so the next test can configure
and launch DBOS again.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PG_SERVER_ENV = "DBOS_TEST_POSTGRES_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evals", "eval scenario acceptance tests")
    group.addoption("--workdir", default=None, help="directory holding the code under test")
    group.addoption("--db", default="sqlite", choices=["sqlite", "postgres"], help="system database")


def pytest_configure(config: pytest.Config) -> None:
    workdir = config.getoption("--workdir", default=None)
    if workdir:
        path = str(Path(workdir).resolve())
        sys.path.insert(0, path)
        os.environ["EVAL_WORKDIR"] = path


@pytest.fixture(scope="session")
def workdir(pytestconfig: pytest.Config) -> Path:
    value = pytestconfig.getoption("--workdir")
    if not value:
        pytest.fail("acceptance tests need --workdir DIR (the code under test)", pytrace=False)
    path = Path(value).resolve()
    if not path.is_dir():
        pytest.fail(f"--workdir {path}: not a directory", pytrace=False)
    return path


@pytest.fixture(scope="session")
def db_kind(pytestconfig: pytest.Config) -> str:
    kind: str = pytestconfig.getoption("--db")
    return kind


def _admin_engine(server_url: str) -> Any:
    import sqlalchemy as sa

    url = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


class Databases:
    """Creates fresh PostgreSQL databases on the DBOS_TEST_POSTGRES_URL server and drops them on ``drop``."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        import sqlalchemy as sa

        server = os.environ.get(PG_SERVER_ENV)
        if not server:
            pytest.fail(f"--db postgres needs {PG_SERVER_ENV} (a server URL)", pytrace=False)
        name = f"dbos_eval_{uuid.uuid4().hex[:12]}"
        admin = _admin_engine(server)
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        self.created.append(name)
        return sa.make_url(server).set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        import sqlalchemy as sa

        if not self.created:
            return
        admin = _admin_engine(os.environ[PG_SERVER_ENV])
        try:
            with admin.connect() as conn:
                for name in self.created:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
        self.created.clear()


@pytest.fixture(scope="module")
def module_databases() -> Iterator[Databases]:
    """Fresh PostgreSQL databases for module-scoped fixtures, dropped after the module."""
    databases = Databases()
    try:
        yield databases
    finally:
        databases.drop()


@pytest.fixture
def database_url(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if db_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'dbos_system.sqlite'}"
        monkeypatch.setenv("DBOS_SYSTEM_DATABASE_URL", url)
        yield url
        _destroy_dbos_now()
        return
    databases = Databases()
    try:
        url = databases.create()
        monkeypatch.setenv("DBOS_SYSTEM_DATABASE_URL", url)
        yield url
    finally:
        _destroy_dbos_now()
        databases.drop()


def _destroy_dbos_now() -> None:
    if "dbos" in sys.modules:
        from dbos import DBOS

        DBOS.destroy()


@pytest.fixture(autouse=True)
def _destroy_dbos() -> Iterator[None]:
    yield
    _destroy_dbos_now()


@pytest.fixture
def load(workdir: Path) -> Callable[[str], ModuleType]:
    def _load(module: str) -> ModuleType:
        if not (workdir / f"{module}.py").is_file() and not (workdir / module).is_dir():
            pytest.fail(f"{workdir}: no module {module!r} (the prompt names it)", pytrace=False)
        return importlib.import_module(module)

    return _load


@dataclass
class Child:
    """A child process leading its own process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log.read_text(errors="replace")
        return ""


@dataclass
class Procs:
    """Child processes of one test; ``cleanup`` SIGKILLs every group still alive."""

    workdir: Path
    log_dir: Path
    children: list[Child] = field(default_factory=list)

    def spawn(
        self, name: str, args: Sequence[str], env: Mapping[str, str] | None = None, *, code: Path | None = None
    ) -> Child:
        """Run ``python *args`` with cwd=workdir and ``code`` (default: the code under test) first on PYTHONPATH."""
        full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        paths = [str(code or self.workdir), full_env.get("PYTHONPATH", "")]
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        log = self.log_dir / f"{name}-{len(self.children)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, *args],
                cwd=self.workdir,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, popen, log)
        self.children.append(child)
        return child

    def kill(self, child: Child) -> None:
        """SIGKILL the child's process group: no cleanup runs, as in a power cut."""
        if child.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        child.popen.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {c.name} (exit {c.popen.poll()}) ---\n{c.output()[-3000:]}" for c in self.children)

    def wait_until(
        self, what: str, check: Callable[[], Any], *, timeout: float = 20.0, watch: Sequence[Child] = ()
    ) -> Any:
        """Poll ``check`` until it returns a truthy value; fail on timeout or when a watched child exits."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result:
                return result
            for child in watch:
                if not child.alive:
                    pytest.fail(f"{child.name} exited while waiting for {what}\n{self.logs()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{self.logs()}", pytrace=False)
            time.sleep(0.05)

    def cleanup(self) -> None:
        for child in self.children:
            self.kill(child)


@pytest.fixture
def procs(workdir: Path, tmp_path: Path, database_url: str) -> Iterator[Procs]:
    """Requests database_url so that children die before their database is dropped."""
    registry = Procs(workdir, tmp_path)
    try:
        yield registry
    finally:
        registry.cleanup()
