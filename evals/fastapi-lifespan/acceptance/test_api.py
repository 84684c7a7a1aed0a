"""The service through its HTTP interface, with the lifespan run by TestClient (as uvicorn would)."""

from __future__ import annotations

import time

import pytest


def _client(load):
    from fastapi.testclient import TestClient

    return TestClient(load("main").app)


def _wait_done(client, report_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/reports/{report_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in ("SUCCESS", "ERROR"):
            return body
        if time.monotonic() > deadline:
            pytest.fail(f"report {report_id} still {body['status']} after {timeout}s", pytrace=False)
        time.sleep(0.05)


def _expected(n):
    return {"n": n, "total": sum(i * i for i in range(n))}


def test_post_then_poll_reports(database_url, load):
    with _client(load) as client:
        ids = []
        for n in (3, 10, 0):
            response = client.post("/reports", json={"n": n})
            assert response.status_code == 202, response.text
            ids.append(response.json()["report_id"])
        assert len(set(ids)) == 3
        for report_id, n in zip(ids, (3, 10, 0), strict=True):
            assert _wait_done(client, report_id) == {"status": "SUCCESS", "result": _expected(n)}
        assert client.get("/reports/no-such-report").status_code == 404


def test_idempotency_key_returns_the_same_report(database_url, load):
    with _client(load) as client:
        first = client.post("/reports", json={"n": 4}, headers={"Idempotency-Key": "abc"})
        again = client.post("/reports", json={"n": 4}, headers={"Idempotency-Key": "abc"})
        other = client.post("/reports", json={"n": 4}, headers={"Idempotency-Key": "xyz"})
        assert first.status_code == again.status_code == other.status_code == 202
        assert first.json() == again.json() != other.json()
        assert _wait_done(client, first.json()["report_id"])["result"] == _expected(4)


def test_at_most_two_reports_at_a_time_and_app_restarts(database_url, load):
    from dbos import DBOS

    with _client(load) as client:
        ids = [client.post("/reports", json={"n": n}).json()["report_id"] for n in range(6)]
        # Each report sleeps 0.2 s; sample the statuses until all are done: never more than 2 PENDING (running).
        peak, deadline = 0, time.monotonic() + 15
        while time.monotonic() < deadline:
            found = DBOS.list_workflows(workflow_ids=ids, load_input=False, load_output=False)
            statuses = sorted(s.status for s in found)
            peak = max(peak, statuses.count("PENDING"))
            if statuses == ["SUCCESS"] * 6:
                break
            time.sleep(0.01)
        assert statuses == ["SUCCESS"] * 6, f"reports did not finish: {statuses}"
        assert peak <= 2, f"{peak} reports ran at once (limit: 2)"
    # A second app lifetime in the same process (as in tests, or uvicorn --reload) works as well.
    with _client(load) as client:
        response = client.post("/reports", json={"n": 2})
        assert response.status_code == 202
        assert _wait_done(client, response.json()["report_id"])["result"] == _expected(2)
