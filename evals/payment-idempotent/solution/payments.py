"""Exactly-once checkout: the order ID is the workflow ID, and the charge carries an idempotency key."""

from __future__ import annotations

import os

import gateway
from dbos import DBOS, DBOSConfig, SetWorkflowID


@DBOS.step()
def charge_card(order_id: str, amount_cents: int) -> str:
    # The step may re-run after a crash mid-call: the provider deduplicates on the key.
    return gateway.charge(order_id, amount_cents, idempotency_key=f"payment-{order_id}")


@DBOS.step()
def send_receipt(order_id: str, charge_id: str) -> None:
    gateway.send_receipt(order_id, charge_id)


@DBOS.workflow()
def pay_order(order_id: str, amount_cents: int) -> str:
    charge_id = charge_card(order_id, amount_cents)
    send_receipt(order_id, charge_id)
    return charge_id


def checkout(order_id: str, amount_cents: int) -> str:
    with SetWorkflowID(f"payment-{order_id}"):
        return pay_order(order_id, amount_cents)


def launch_app() -> None:
    config: DBOSConfig = {
        "name": "payments",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
