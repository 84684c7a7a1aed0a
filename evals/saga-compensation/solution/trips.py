"""Trip booking as a saga: each reservation a step, compensations in reverse order, also steps."""

from __future__ import annotations

import os

import travel_api
from dbos import DBOS, DBOSConfig


def _transient(e: BaseException) -> bool:
    return isinstance(e, travel_api.Unavailable)


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=0.1, backoff_rate=1.0, should_retry=_transient)
def reserve(kind: str, trip_id: str, city: str) -> str:
    return travel_api.reserve(kind, trip_id, city)


@DBOS.step()
def cancel(kind: str, reservation_id: str) -> None:
    travel_api.cancel(kind, reservation_id)


@DBOS.workflow()
def book_trip(trip_id: str, city: str) -> str:
    done: list[tuple[str, str]] = []
    try:
        for kind in ("flight", "hotel", "car"):
            done.append((kind, reserve(kind, trip_id, city)))
    except travel_api.SoldOut:
        for kind, reservation_id in reversed(done):
            cancel(kind, reservation_id)
        return "cancelled"
    return "booked"


def launch_app() -> None:
    config: DBOSConfig = {
        "name": "trips",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
