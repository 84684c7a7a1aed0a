"""Fixtures shared by the example apps' tests.

- ``procs``: a registry of spawned process groups; every survivor is killed at teardown, even when the
  test failed.
- ``pg_url``: a fresh, uniquely named PostgreSQL database per test, dropped at teardown. The server comes
  from DBOS_TEST_POSTGRES_URL; without it the test is skipped, or fails when SKILL_REQUIRE_POSTGRES=1.
- ``system_db``: parametrises a test over SQLite (None: the app's default file) and PostgreSQL.

Request ``procs`` after ``pg_url``/``system_db`` so processes die before their database is dropped.
The examples directory and every app directory go on sys.path, so tests import ``example_harness`` and
their app's modules (whose names are unique across apps) directly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent
sys.path[:0] = [str(EXAMPLES), *(str(app) for app in sorted(EXAMPLES.iterdir()) if (app / "tests").is_dir())]

from example_harness import Processes, create_database, drop_database  # noqa: E402

PG_SERVER_ENV = "DBOS_TEST_POSTGRES_URL"
REQUIRE_PG_ENV = "SKILL_REQUIRE_POSTGRES"


def postgres_server_url() -> str:
    """The PostgreSQL server URL for tests; skip without one, or fail if PostgreSQL is required."""
    url = os.environ.get(PG_SERVER_ENV)
    if url:
        return url
    message = (
        f"PostgreSQL not configured: set {PG_SERVER_ENV} (a server URL like "
        "postgresql://postgres:postgres@localhost:5432/postgres, or postgresql://postgres@/postgres?host=/var/run/postgresql)"
    )
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_PG_ENV}=1 requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = create_database(postgres_server_url())
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def system_db(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    registry = Processes(log_dir=tmp_path)
    try:
        yield registry
    finally:
        registry.cleanup()
