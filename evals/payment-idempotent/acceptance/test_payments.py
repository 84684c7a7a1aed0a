"""Exactly-once checkout: retried calls and a SIGKILL while the provider answers a charge."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("GATEWAY_LEDGER", str(path))
    monkeypatch.setenv("DBOS__APPVERSION", "eval-pinned")  # the crashed process and its restart agree
    return path


def _count(gateway, kind: str, order_id: str) -> int:
    return sum(1 for e in gateway.entries() if e["kind"] == kind and e["order_id"] == order_id)


def test_retried_checkout_charges_once(database_url, ledger, load):
    payments = load("payments")
    gateway = load("gateway")
    payments.launch_app()
    first = payments.checkout("order-1", 1250)
    again = payments.checkout("order-1", 1250)
    other = payments.checkout("order-2", 990)
    assert first == again and first != other
    assert (_count(gateway, "charge", "order-1"), _count(gateway, "receipt", "order-1")) == (1, 1)
    assert (_count(gateway, "charge", "order-2"), _count(gateway, "receipt", "order-2")) == (1, 1)


def test_sigkill_during_charge_then_restart_charges_once(database_url, ledger, load, procs, tmp_path):
    gateway = load("gateway")
    payments = load("payments")
    hold = tmp_path / "hold"
    hold.touch()  # the provider charges, then stalls before answering
    child = procs.spawn(
        "checkout", [str(HERE / "checkout_child.py"), "order-9", "4200"], env={"GATEWAY_HOLD_FILE": str(hold)}
    )
    procs.wait_until("the provider to record the charge", lambda: _count(gateway, "charge", "order-9"), watch=[child])
    procs.kill(child)
    hold.unlink()

    payments.launch_app()  # the restart: the unfinished checkout must finish by itself
    procs.wait_until("the recovered checkout to send its receipt", lambda: _count(gateway, "receipt", "order-9"))
    charge_id = payments.checkout("order-9", 4200)
    charges = [e for e in gateway.entries() if e["kind"] == "charge" and e["order_id"] == "order-9"]
    receipts = [e for e in gateway.entries() if e["kind"] == "receipt" and e["order_id"] == "order-9"]
    assert len({c["charge_id"] for c in charges}) == 1, f"charged more than once: {charges}"
    assert [r["charge_id"] for r in receipts] == [charge_id]
