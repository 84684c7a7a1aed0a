"""Notification service client. Do not modify: the tests read its log."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _log(entry: dict[str, Any]) -> None:
    with Path(os.environ.get("NOTIFY_LOG", "notify_log.jsonl")).open("a") as f:
        f.write(json.dumps(entry) + "\n")


def send_confirmation(order_id: str) -> None:
    _log({"kind": "confirmation", "order_id": order_id})


def heartbeat(at: str) -> None:
    _log({"kind": "heartbeat", "at": at})
