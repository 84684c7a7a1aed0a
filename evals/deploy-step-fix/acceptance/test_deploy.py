"""Deploy the fix over an in-flight invoice: the old release is SIGKILLed mid-workflow, the new code launches.

No application_version is pinned here: what the default version covers is what the scenario is about.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def invoices(tmp_path, monkeypatch):
    path = tmp_path / "invoices.jsonl"
    monkeypatch.setenv("INVOICE_FILE", str(path))
    monkeypatch.delenv("DBOS__APPVERSION", raising=False)

    def read():
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return read


def test_new_orders_get_the_correct_tax(database_url, load, invoices, procs):
    billing = load("billing")
    billing.launch_app()
    billing.start_invoice("new-1", 10_000)
    procs.wait_until("the invoice of new-1", lambda: invoices())
    assert invoices() == [{"order_id": "new-1", "subtotal_cents": 10_000, "tax_cents": 800}]


def test_order_in_flight_during_deploy_finishes_with_the_fix(database_url, load, invoices, procs, tmp_path):
    hold = tmp_path / "hold"
    hold.touch()
    old = procs.spawn(
        "old-release",
        [str(HERE / "v1_child.py"), "old-1", "25000"],
        env={"WAREHOUSE_HOLD_FILE": str(hold)},
        code=HERE / "v1",
    )

    def parked():
        from dbos import DBOSClient

        client = DBOSClient(system_database_url=database_url)
        try:
            return [w for w in client.list_workflows() if w.workflow_id == "invoice-old-1" and w.status == "PENDING"]
        except Exception:
            return None  # the old release has not created its tables yet
        finally:
            client.destroy()

    procs.wait_until("the old release to start invoice-old-1", parked, watch=[old])
    procs.kill(old)
    hold.unlink()

    billing = load("billing")  # the fixed code, as deployed
    billing.launch_app()
    procs.wait_until("invoice-old-1 to finish after the deploy", lambda: invoices(), timeout=15)
    assert invoices() == [{"order_id": "old-1", "subtotal_cents": 25_000, "tax_cents": 2_000}]
