"""Email provider client. Do not modify: the tests read its log."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def _log(entry: dict[str, Any]) -> None:
    with Path(os.environ.get("MAILER_LOG", "mailer_log.jsonl")).open("a") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())


def entries(campaign_id: str) -> list[dict[str, Any]]:
    path = Path(os.environ.get("MAILER_LOG", "mailer_log.jsonl"))
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, lines) if e["campaign_id"] == campaign_id]


def prepare(provider: str, campaign_id: str, token: str) -> None:
    """Upload the campaign to the provider under an unsubscribe token."""
    _log({"action": "prepare", "provider": provider, "campaign_id": campaign_id, "token": token})


def send(provider: str, campaign_id: str, token: str) -> None:
    """Send a prepared campaign; the provider rejects a token it was not prepared with."""
    _log({"action": "send", "provider": provider, "campaign_id": campaign_id, "token": token})
    hold = os.environ.get("MAILER_HOLD_FILE")
    while hold and Path(hold).exists():
        time.sleep(0.05)
