"""Hourly sales report on a DBOS schedule; backfill reuses the scheduler's workflow IDs, so no hour runs twice."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import sales
from dbos import DBOS, DBOSConfig

SCHEDULE = "hourly-sales"


@DBOS.step()
def write_report(hour: datetime) -> None:
    sales.write_report(hour)


@DBOS.workflow()
def hourly_sales(scheduled_time: datetime, context: Any) -> None:  # the signature schedules call
    write_report(scheduled_time)


def backfill(start: datetime, end: datetime) -> None:
    # The ticks get the live scheduler's workflow IDs: a tick that already ran returns its handle, not a rerun.
    for handle in DBOS.backfill_schedule(SCHEDULE, start, end):
        handle.get_result()


def launch_app() -> None:
    config: DBOSConfig = {
        "name": "sales",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
    # Create or update: safe on every start (create_schedule would fail once the schedule exists).
    DBOS.apply_schedules([{"schedule_name": SCHEDULE, "workflow_fn": hourly_sales, "schedule": "0 * * * *"}])
