"""Fake payment provider. Do not modify: the tests read its ledger.

Every charge and receipt is appended to the JSON-lines file named by GATEWAY_LEDGER. A charge carrying an
``idempotency_key`` the provider has seen before returns the earlier charge instead of charging again.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any


def _ledger() -> Path:
    return Path(os.environ.get("GATEWAY_LEDGER", "gateway_ledger.jsonl"))


def entries() -> list[dict[str, Any]]:
    path = _ledger()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append(entry: dict[str, Any]) -> None:
    with _ledger().open("a") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())


def charge(order_id: str, amount_cents: int, idempotency_key: str | None = None) -> str:
    """Charge the customer's card; returns the charge ID."""
    if idempotency_key is not None:
        for entry in entries():
            if entry["kind"] == "charge" and entry["idempotency_key"] == idempotency_key:
                return str(entry["charge_id"])
    charge_id = f"ch_{uuid.uuid4().hex[:12]}"
    _append(
        {
            "kind": "charge",
            "charge_id": charge_id,
            "order_id": order_id,
            "amount_cents": amount_cents,
            "idempotency_key": idempotency_key,
        }
    )
    # The provider is sometimes slow to answer after charging (the tests use this to crash mid-call).
    hold = os.environ.get("GATEWAY_HOLD_FILE")
    while hold and Path(hold).exists():
        time.sleep(0.05)
    return charge_id


def send_receipt(order_id: str, charge_id: str) -> None:
    """Email the customer a receipt."""
    _append({"kind": "receipt", "order_id": order_id, "charge_id": charge_id})
