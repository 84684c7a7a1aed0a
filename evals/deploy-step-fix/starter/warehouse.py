"""Warehouse and ledger client. Do not modify: the tests read its invoice file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def reserve(order_id: str) -> None:
    """Reserve stock; slow when the warehouse is busy."""
    hold = os.environ.get("WAREHOUSE_HOLD_FILE")
    while hold and Path(hold).exists():
        time.sleep(0.05)


def record_invoice(order_id: str, subtotal_cents: int, tax_cents: int) -> None:
    path = Path(os.environ.get("INVOICE_FILE", "invoices.jsonl"))
    with path.open("a") as f:
        f.write(json.dumps({"order_id": order_id, "subtotal_cents": subtotal_cents, "tax_cents": tax_cents}) + "\n")
