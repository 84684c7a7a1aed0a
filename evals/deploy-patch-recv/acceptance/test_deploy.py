"""Deploy the fraud screen while orders wait for approval: the old release is SIGKILLed, the new code launches."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def actions(tmp_path, monkeypatch):
    path = tmp_path / "shop_log.jsonl"
    monkeypatch.setenv("SHOP_LOG", str(path))

    def read(order_id):
        lines = path.read_text().splitlines() if path.exists() else []
        return [e["action"] for e in map(json.loads, lines) if e["order_id"] == order_id]

    return read


def _result(order_id, timeout=15.0):
    from dbos import DBOS

    deadline = time.monotonic() + timeout
    handle = DBOS.retrieve_workflow(f"order-{order_id}")
    while handle.get_status().status in ("PENDING", "ENQUEUED"):
        if time.monotonic() > deadline:
            pytest.fail(f"order-{order_id} still {handle.get_status().status} after {timeout}s", pytrace=False)
        time.sleep(0.05)
    return handle.get_result()


def test_new_orders_are_screened(database_url, load, actions):
    orders = load("orders")
    orders.launch_app()
    orders.submit("stolen-card-1")
    assert _result("stolen-card-1") == "blocked"
    assert actions("stolen-card-1") == ["validate", "screen"]
    orders.submit("clean-1")
    orders.approve("clean-1")
    assert _result("clean-1") == "shipped"
    assert actions("clean-1") == ["validate", "screen", "ship"]


def test_orders_waiting_during_deploy_ship_unscreened(database_url, load, actions, procs):
    from dbos import DBOSClient

    old = procs.spawn("old-release", [str(HERE / "v1_child.py"), "waiting-1"], code=HERE / "v1")

    def parked():
        try:
            client = DBOSClient(system_database_url=database_url)
        except Exception:
            return None  # the old release has not created its tables yet
        try:
            steps = client.list_workflow_steps("order-waiting-1")
            return any(s["function_name"] == "DBOS.sleep" for s in steps)  # the recv's timeout is recorded
        except Exception:
            return None
        finally:
            client.destroy()

    procs.wait_until("order waiting-1 to wait for approval", parked, watch=[old])
    procs.kill(old)

    orders = load("orders")  # the new release
    orders.launch_app()
    orders.approve("waiting-1")
    assert _result("waiting-1") == "shipped"
    assert actions("waiting-1") == ["validate", "ship"]
    orders.submit("stolen-card-2")  # and the new release screens new orders
    assert _result("stolen-card-2") == "blocked"
