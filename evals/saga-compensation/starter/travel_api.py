"""Travel provider client. Do not modify: the tests read its call log.

Cars are sold out in Atlantis and hotels in Eldorado. TRAVEL_FLAKY="hotel:2" makes the first 2 hotel
reservations of each trip fail with Unavailable. TRAVEL_HOLD_FILE stalls cancel() while the file exists.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


class SoldOut(Exception):
    """Final: nothing left to book."""


class Unavailable(Exception):
    """Transient: the provider is briefly down; the same call succeeds later."""


SOLD_OUT = {("car", "Atlantis"), ("hotel", "Eldorado")}


def _log_path() -> Path:
    return Path(os.environ.get("TRAVEL_LOG", "travel_log.jsonl"))


def calls(trip_id: str) -> list[tuple[str, str]]:
    path = _log_path()
    lines = path.read_text().splitlines() if path.exists() else []
    return [(e["action"], e["kind"]) for e in map(json.loads, lines) if e["trip_id"] == trip_id]


def _log(entry: dict[str, Any]) -> None:
    with _log_path().open("a") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())


def reserve(kind: str, trip_id: str, city: str) -> str:
    """Reserve a flight, hotel or car; returns the reservation ID."""
    _log({"action": "reserve", "kind": kind, "trip_id": trip_id})
    flaky_kind, _, count = os.environ.get("TRAVEL_FLAKY", "").partition(":")
    if kind == flaky_kind and calls(trip_id).count(("reserve", kind)) <= int(count or 0):
        raise Unavailable(f"{kind} service unavailable")
    if (kind, city) in SOLD_OUT:
        raise SoldOut(f"no {kind} left in {city}")
    return f"{kind}:{trip_id}"


def cancel(kind: str, reservation_id: str) -> None:
    """Cancel a reservation (cancelling one twice is harmless)."""
    trip_id = reservation_id.split(":", 1)[1]
    _log({"action": "cancel", "kind": kind, "trip_id": trip_id})
    hold = os.environ.get("TRAVEL_HOLD_FILE")
    while hold and Path(hold).exists():
        time.sleep(0.05)
