"""Fixtures: an empty system database per test, the supplier log in a temp folder, a pinned app version."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import inventory
import pytest
from dbos import DBOS, DBOSConfig


@pytest.fixture(autouse=True)
def supplier_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "supplier.jsonl"
    monkeypatch.setenv("SUPPLIER_LOG", str(path))
    # The test process and the app's child process must agree on the version, or the restarted app
    # would not recover the child's workflow; the default (a hash of the workflows it imported) may differ.
    monkeypatch.setenv("DBOS__APPVERSION", "test")
    return path


@pytest.fixture
def empty_db() -> Iterator[None]:
    """Empty the app's system database without launching: the app (or its child) launches DBOS itself."""
    DBOS.destroy()
    config: DBOSConfig = {"name": "inventory", "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL")}
    DBOS(config=config)
    DBOS.reset_system_database(truncate=True)
    DBOS.destroy()
    yield
    DBOS.destroy()


@pytest.fixture
def app(empty_db: None) -> Iterator[None]:
    inventory.start()
    yield
