"""Scheduled report with human approval.

A cron schedule starts one report run a day. Each run waits (durably) for late data to settle, builds
the report, then waits for a reviewer's decision, sent as a message from another process. No answer
before the timeout escalates instead of publishing. report_client.py is that other process.

Run it from the repository root with the project's virtualenv active (README.md in this folder):
    python examples/scheduled_report/report_app.py
SQLite by default (state/scheduled_report.sqlite next to this file), daily at 06:00 UTC. Every 10 seconds,
with short waits, on PostgreSQL (DBOS creates the database):
    DBOS_SYSTEM_DATABASE_URL=postgresql://postgres:postgres@localhost:5432/reports \\
    REPORT_CRON='*/10 * * * * *' REPORT_SETTLE_SECONDS=2 REPORT_APPROVAL_TIMEOUT_SECONDS=30 python ...
SIGTERM or Ctrl-C stops it at once, even while runs wait for approval: their waits are durable and resume
on the next start. State (the SQLite file, the effects log) goes to REPORT_STATE_DIR, default state/ here.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TypedDict

from dbos import DBOS, DBOSConfig

APP_NAME = "scheduled-report"
SCHEDULE_NAME = "daily-sales-report"
WORKFLOW_NAME = "daily_sales_report"
APPROVAL_TOPIC = "approval"
STATUS_EVENT = "status"
REPORT_EVENT = "report"

# Everything the app writes goes here, never into the source tree.
STATE_DIR = Path(os.environ.get("REPORT_STATE_DIR") or Path(__file__).resolve().parent / "state")
# The SQLite default; report_client.py computes the same URL.
SQLITE_URL = f"sqlite:///{STATE_DIR / 'scheduled_report.sqlite'}"
# Report delivery is simulated: every step appends one JSON line here, so tests can count side effects.
EFFECTS_LOG = Path(os.environ.get("REPORT_EFFECTS_LOG") or STATE_DIR / "effects.jsonl")


class ReportSettings(TypedDict):
    """Passed to every run as the schedule's context: stored with the schedule, so replays see the
    same values the first execution saw."""

    settle_seconds: float
    approval_timeout_seconds: float


class Report(TypedDict):
    day: str
    orders: int
    revenue_cents: int


def record_effect(run_id: str, action: str) -> None:
    line = {"run_id": run_id, "action": action, "at": time.time(), "pid": os.getpid()}
    with EFFECTS_LOG.open("a") as log:
        log.write(json.dumps(line) + "\n")


@DBOS.step()
def open_run(run_id: str) -> None:
    record_effect(run_id, "open")


@DBOS.step()
def build_report(run_id: str, day: str) -> Report:
    record_effect(run_id, "build")
    seed = sum(day.encode())  # stands in for a query over the day's orders
    return {"day": day, "orders": seed % 97, "revenue_cents": seed * 1234}


@DBOS.step()
def publish_report(run_id: str, report: Report, reviewer: str) -> None:
    record_effect(run_id, "publish")


@DBOS.step()
def escalate(run_id: str, report: Report) -> None:
    record_effect(run_id, "escalate")


@DBOS.workflow(name=WORKFLOW_NAME)
def daily_sales_report(scheduled_at: datetime, settings: ReportSettings) -> None:
    """Scheduled workflows take (scheduled time, schedule context) and return None."""
    run_id = DBOS.workflow_id
    assert run_id is not None
    open_run(run_id)
    DBOS.set_event(STATUS_EVENT, "settling")
    # Durable: after a crash the run sleeps only for what is left, not the whole period again.
    DBOS.sleep(settings["settle_seconds"])
    report = build_report(run_id, scheduled_at.date().isoformat())
    DBOS.set_event(REPORT_EVENT, report)
    DBOS.set_event(STATUS_EVENT, "awaiting_approval")
    # None when the timeout passes; the deadline is durable too.
    decision = DBOS.recv(APPROVAL_TOPIC, timeout_seconds=settings["approval_timeout_seconds"])
    if decision is None:
        escalate(run_id, report)
        DBOS.set_event(STATUS_EVENT, "expired")
    elif decision.get("approved"):
        publish_report(run_id, report, decision.get("reviewer", "unknown"))
        DBOS.set_event(STATUS_EVENT, "published")
    else:
        DBOS.set_event(STATUS_EVENT, "rejected")


def main() -> None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    config: DBOSConfig = {
        "name": APP_NAME,
        # PostgreSQL: DBOS creates the database if it does not exist.
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL") or SQLITE_URL,
        "application_version": "1",  # pinned, so runs still waiting for approval survive a redeploy
    }
    settings: ReportSettings = {
        "settle_seconds": float(os.environ.get("REPORT_SETTLE_SECONDS", "300")),
        "approval_timeout_seconds": float(os.environ.get("REPORT_APPROVAL_TIMEOUT_SECONDS", str(8 * 3600))),
    }
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    DBOS(config=config)
    DBOS.launch()
    # apply_schedules creates or replaces, so every restart can run it; create_schedule would raise
    # once the schedule exists.
    DBOS.apply_schedules(
        [
            {
                "schedule_name": SCHEDULE_NAME,
                "workflow_fn": daily_sales_report,
                "schedule": os.environ.get("REPORT_CRON", "0 0 6 * * *"),  # sec min hour day month weekday
                "context": settings,
            }
        ]
    )
    DBOS.logger.info(f"report app ready (pid {os.getpid()})")
    stop.wait()
    DBOS.destroy()
    exit_now()


def exit_now() -> None:
    """Leave without joining the threads of runs still waiting for approval: Python would otherwise wait
    at exit until their recv() times out (hours). Their waits are durable; the next launch resumes them."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
