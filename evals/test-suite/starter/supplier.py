"""Supplier and warehouse client. Do not modify.

Every call is appended to the JSON-lines file named by SUPPLIER_LOG. While the file named by
SUPPLIER_HOLD_FILE exists, add_stock() stalls after logging (use it to crash the app mid-step in tests).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def _path() -> Path:
    return Path(os.environ.get("SUPPLIER_LOG", "supplier_log.jsonl"))


def calls() -> list[dict[str, Any]]:
    path = _path()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _log(entry: dict[str, Any]) -> None:
    with _path().open("a") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())


def order(sku: str, quantity: int) -> str:
    """Buy from the supplier (costs money); returns the purchase order ID."""
    _log({"call": "order", "sku": sku, "quantity": quantity, "pid": os.getpid()})
    return f"po-{sku}-{quantity}"


def add_stock(sku: str, quantity: int) -> None:
    _log({"call": "add_stock", "sku": sku, "quantity": quantity, "pid": os.getpid()})
    hold = os.environ.get("SUPPLIER_HOLD_FILE")
    while hold and Path(hold).exists():
        time.sleep(0.05)
