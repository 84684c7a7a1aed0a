"""Invoicing: reserve stock, compute tax, record the invoice. Launched by launch_app() in each process."""

from __future__ import annotations

import os

import warehouse
from dbos import DBOS, DBOSConfig, SetWorkflowID

TAX_PERCENT = 80  # sales tax, in percent


@DBOS.step()
def reserve_stock(order_id: str) -> None:
    warehouse.reserve(order_id)


@DBOS.step()
def compute_tax(subtotal_cents: int) -> int:
    return subtotal_cents * TAX_PERCENT // 100


@DBOS.step()
def record_invoice(order_id: str, subtotal_cents: int, tax_cents: int) -> None:
    warehouse.record_invoice(order_id, subtotal_cents, tax_cents)


@DBOS.workflow()
def invoice_order(order_id: str, subtotal_cents: int) -> int:
    reserve_stock(order_id)
    tax = compute_tax(subtotal_cents)
    record_invoice(order_id, subtotal_cents, tax)
    return tax


def start_invoice(order_id: str, subtotal_cents: int) -> None:
    with SetWorkflowID(f"invoice-{order_id}"):
        DBOS.start_workflow(invoice_order, order_id, subtotal_cents)


def launch_app() -> None:
    config: DBOSConfig = {
        "name": "billing",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
