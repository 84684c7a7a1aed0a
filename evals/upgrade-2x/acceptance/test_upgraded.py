"""The upgraded service through its HTTP interface; notifications logs confirmations and heartbeats."""

from __future__ import annotations

import json
import time

import pytest


@pytest.fixture
def env(tmp_path, monkeypatch, database_url, db_kind):
    log = tmp_path / "notify.jsonl"
    monkeypatch.setenv("NOTIFY_LOG", str(log))
    app_db = f"sqlite:///{tmp_path / 'app.sqlite'}" if db_kind == "sqlite" else database_url
    monkeypatch.setenv("APP_DATABASE_URL", app_db)

    def events(kind):
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["kind"] == kind]

    return events


def _client(load):
    from fastapi.testclient import TestClient

    return TestClient(load("shop").app)


def _wait(what, check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.05)


def test_orders_are_placed_once_and_confirmed_once(env, load):
    with _client(load) as client:
        for _ in range(2):
            response = client.post("/orders/o-1", params={"total": 30})
            assert response.status_code == 200, response.text
            assert response.json() == {"order_id": "o-1"}
        assert client.post("/orders/o-2", params={"total": 5}).status_code == 200
        assert client.get("/orders/o-1").json() == {"order_id": "o-1", "total": 30}
        assert client.get("/orders/o-2").json() == {"order_id": "o-2", "total": 5}
        assert client.get("/orders/nope").status_code == 404
        _wait("two confirmations", lambda: len(env("confirmation")) >= 2)
        time.sleep(0.3)
        assert sorted(e["order_id"] for e in env("confirmation")) == ["o-1", "o-2"]


def test_heartbeat_runs_every_second_across_restarts(env, load):
    for _ in range(2):  # start, stop, start again in the same process
        with _client(load) as client:
            seen = len(env("heartbeat"))
            _wait("a heartbeat", lambda seen=seen: len(env("heartbeat")) > seen, timeout=8)
            assert client.get("/orders/none").status_code == 404
