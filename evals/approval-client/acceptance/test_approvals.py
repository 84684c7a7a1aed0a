"""The worker runs as its own process; the test drives it through approval_client (DBOSClient) only."""

from __future__ import annotations

import time

import pytest

VERSION = {"DBOS__APPVERSION": "eval-pinned"}  # a restarted worker recovers the runs of the killed one


def _submit(client_mod, procs, url, request_id, worker):
    """Submit once the worker has migrated the system database (the client never migrates it)."""
    errors: list[str] = []

    def attempt():
        try:
            return client_mod.submit(url, request_id)
        except Exception as e:
            errors.append(repr(e))
            return None

    return procs.wait_until(f"submit({request_id!r}) to succeed (last error: {errors[-1:]})", attempt, watch=[worker])


def _result(url, workflow_id, procs, timeout=12.0):
    from dbos import DBOSClient

    client = DBOSClient(system_database_url=url)
    try:

        def done():
            status = client.retrieve_workflow(workflow_id).get_status()
            return status if status.status in ("SUCCESS", "ERROR") else None

        status = procs.wait_until(f"workflow {workflow_id} to finish", done, timeout=timeout)
        assert status.status == "SUCCESS", f"{workflow_id} ended {status.status}: {status.error}"
        return status.output
    finally:
        client.destroy()


def test_approve_and_reject_from_another_process(database_url, load, procs):
    client_mod = load("approval_client")
    worker = procs.spawn("worker", ["approvals.py"], env=VERSION)
    yes = _submit(client_mod, procs, database_url, "exp-1", worker)
    no = client_mod.submit(database_url, "exp-2")
    assert client_mod.submit(database_url, "exp-1") == yes, "submitting the same request again started another"
    client_mod.decide(database_url, "exp-1", True)
    client_mod.decide(database_url, "exp-2", False)
    assert _result(database_url, yes, procs) == "approved"
    assert _result(database_url, no, procs) == "rejected"


def test_no_decision_in_time_expires(database_url, load, procs):
    client_mod = load("approval_client")
    worker = procs.spawn("worker", ["approvals.py"], env={**VERSION, "APPROVAL_TIMEOUT_SEC": "1"})
    workflow_id = _submit(client_mod, procs, database_url, "exp-3", worker)
    assert _result(database_url, workflow_id, procs) == "expired"  # within _result's wait, not a day later


def test_decision_sent_while_worker_is_down_counts_after_restart(database_url, load, procs):
    client_mod = load("approval_client")
    from dbos import DBOSClient

    first = procs.spawn("worker", ["approvals.py"], env=VERSION)
    workflow_id = _submit(client_mod, procs, database_url, "exp-4", first)
    client = DBOSClient(system_database_url=database_url)
    try:
        procs.wait_until(
            "the approval to start waiting",
            lambda: client.retrieve_workflow(workflow_id).get_status().status == "PENDING",
            watch=[first],
        )
    finally:
        client.destroy()
    time.sleep(0.5)  # let it park in its wait
    procs.kill(first)
    client_mod.decide(database_url, "exp-4", True)
    procs.spawn("worker", ["approvals.py"], env=VERSION)
    assert _result(database_url, workflow_id, procs, timeout=20) == "approved"


@pytest.fixture(autouse=True)
def _default_timeout(monkeypatch):
    monkeypatch.delenv("APPROVAL_TIMEOUT_SEC", raising=False)
