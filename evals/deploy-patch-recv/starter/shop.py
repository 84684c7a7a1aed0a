"""Shop services. Do not modify: the tests read the action log."""

from __future__ import annotations

import json
import os
from pathlib import Path


def log(action: str, order_id: str) -> None:
    path = Path(os.environ.get("SHOP_LOG", "shop_log.jsonl"))
    with path.open("a") as f:
        f.write(json.dumps({"action": action, "order_id": order_id}) + "\n")


def fraud_score(order_id: str) -> int:
    """0 (clean) to 100 (certain fraud)."""
    log("screen", order_id)
    return 95 if "stolen" in order_id else 5
