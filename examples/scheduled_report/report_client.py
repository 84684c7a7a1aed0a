"""Operate the report app from another process, with a DBOSClient: it talks only to the system
database, so it needs none of the app's code, just the names below.

    python report_client.py --db postgresql://postgres@localhost:5432/reports list
    python report_client.py --db ... trigger            # run the report now
    python report_client.py --db ... status RUN_ID
    python report_client.py --db ... approve RUN_ID --reviewer ada
    python report_client.py --db ... reject RUN_ID
    python report_client.py --db ... pause | resume     # the schedule
The database URL defaults to $DBOS_SYSTEM_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from dbos import DBOSClient, WorkflowStatus

# Must match report_app.py.
APP_NAME = "scheduled-report"
SCHEDULE_NAME = "daily-sales-report"
APPROVAL_TOPIC = "approval"
STATUS_EVENT = "status"
REPORT_EVENT = "report"


def connect(database_url: str) -> DBOSClient:
    return DBOSClient(system_database_url=database_url, application_name=APP_NAME)


def trigger(client: DBOSClient) -> str:
    """Enqueue a run of the schedule now, outside its cron times. Returns the run's workflow ID."""
    return client.trigger_schedule(SCHEDULE_NAME).get_workflow_id()


def status(client: DBOSClient, run_id: str, wait_seconds: float = 0) -> str | None:
    value: str | None = client.get_event(run_id, STATUS_EVENT, timeout_seconds=wait_seconds)
    return value


def report(client: DBOSClient, run_id: str) -> Any:
    return client.get_event(run_id, REPORT_EVENT, timeout_seconds=0)


def decide(client: DBOSClient, run_id: str, approved: bool, reviewer: str) -> None:
    """Send the decision. The idempotency key makes a retried send deliver at most one message."""
    client.send(
        run_id,
        {"approved": approved, "reviewer": reviewer},
        topic=APPROVAL_TOPIC,
        idempotency_key=f"{run_id}:decision",
    )


def runs(client: DBOSClient) -> list[WorkflowStatus]:
    return client.list_workflows(schedule_name=SCHEDULE_NAME, load_input=False, load_output=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("DBOS_SYSTEM_DATABASE_URL"), help="system database URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the schedule's runs")
    commands.add_parser("trigger", help="start a run now")
    commands.add_parser("pause", help="pause the schedule")
    commands.add_parser("resume", help="resume the schedule")
    for name in ("status", "approve", "reject"):
        sub = commands.add_parser(name)
        sub.add_argument("run_id")
        if name != "status":
            sub.add_argument("--reviewer", default=os.environ.get("USER", "reviewer"))
    args = parser.parse_args(argv)
    if not args.db:
        parser.error("no database: pass --db or set DBOS_SYSTEM_DATABASE_URL")

    client = connect(args.db)
    try:
        if args.command == "list":
            for run in runs(client):
                print(f"{run.workflow_id}  {run.status:<9}  {status(client, run.workflow_id)}")
        elif args.command == "trigger":
            print(trigger(client))
        elif args.command == "status":
            print(json.dumps({"status": status(client, args.run_id), "report": report(client, args.run_id)}))
        elif args.command in ("approve", "reject"):
            if status(client, args.run_id) != "awaiting_approval":
                print(f"{args.run_id} is not awaiting approval", file=sys.stderr)
                return 1
            decide(client, args.run_id, args.command == "approve", args.reviewer)
            print(f"{args.command}d {args.run_id}")
        elif args.command == "pause":
            client.pause_schedule(SCHEDULE_NAME)
        elif args.command == "resume":
            client.resume_schedule(SCHEDULE_NAME)
    finally:
        client.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
