"""Operate the report app from another process, with a DBOSClient: it talks only to the system
database, so it needs none of the app's code, just the names below.

    python report_client.py list
    python report_client.py trigger                     # run the report now; prints the run ID
    python report_client.py status RUN_ID [--wait STATE]
    python report_client.py approve RUN_ID --reviewer ada
    python report_client.py reject RUN_ID
    python report_client.py pause | resume              # the schedule
The database is --db, else $DBOS_SYSTEM_DATABASE_URL, else the app's SQLite default. Every command first
waits (up to --ready-seconds) for the app to have created its database and schedule, and otherwise says
in one line that the app is not ready yet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from dbos import DBOSClient, WorkflowStatus

# Must match report_app.py.
APP_NAME = "scheduled-report"
SCHEDULE_NAME = "daily-sales-report"
APPROVAL_TOPIC = "approval"
STATUS_EVENT = "status"
REPORT_EVENT = "report"
STATE_DIR = Path(os.environ.get("REPORT_STATE_DIR") or Path(__file__).resolve().parent / "state")
SQLITE_URL = f"sqlite:///{STATE_DIR / 'scheduled_report.sqlite'}"


class NotReady(Exception):
    """The app has not created its database and schedule (yet)."""


def connect(database_url: str) -> DBOSClient:
    return DBOSClient(system_database_url=database_url, application_name=APP_NAME)


def connect_when_ready(database_url: str, wait_seconds: float) -> DBOSClient:
    """A client, once the app has launched at least once (database migrated, schedule applied). A client
    never creates the database, so until then every call would fail."""
    deadline = time.monotonic() + wait_seconds
    while True:
        problem = "its schedule does not exist"
        client: DBOSClient | None = None
        try:
            if database_url.startswith("sqlite") and not Path(database_url.split("///", 1)[-1]).exists():
                raise NotReady(f"{database_url} does not exist")  # SQLite would create an empty file
            client = DBOSClient(
                system_database_url=database_url,
                application_name=APP_NAME,
                retry_connection_errors=False,  # fail fast while the app is not up
                lazy=True,  # connect on first use: no error logged per attempt
            )
            if client.get_schedule(SCHEDULE_NAME) is not None:
                return client
        except Exception as error:  # a missing database or tables: the app has not launched yet
            problem = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if client is not None:
            client.destroy()
        if time.monotonic() >= deadline:
            raise NotReady(problem)
        time.sleep(0.5)


def trigger(client: DBOSClient) -> str:
    """Enqueue a run of the schedule now, outside its cron times. Returns the run's workflow ID."""
    return client.trigger_schedule(SCHEDULE_NAME).get_workflow_id()


def status(client: DBOSClient, run_id: str, wait_seconds: float = 0) -> str | None:
    value: str | None = client.get_event(run_id, STATUS_EVENT, timeout_seconds=wait_seconds)
    return value


def wait_for_status(client: DBOSClient, run_id: str, wanted: str, timeout: float) -> str | None:
    """Poll until the run publishes ``wanted`` (or the timeout passes); return the last status seen."""
    deadline = time.monotonic() + timeout
    current = status(client, run_id)
    while current != wanted and time.monotonic() < deadline:
        time.sleep(0.2)
        current = status(client, run_id)
    return current


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
    parser.add_argument(
        "--db", default=os.environ.get("DBOS_SYSTEM_DATABASE_URL") or SQLITE_URL, help="system database URL"
    )
    parser.add_argument("--ready-seconds", type=float, default=60, help="how long to wait for the app (default 60)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the schedule's runs")
    commands.add_parser("trigger", help="start a run now")
    commands.add_parser("pause", help="pause the schedule")
    commands.add_parser("resume", help="resume the schedule")
    for name in ("status", "approve", "reject"):
        sub = commands.add_parser(name)
        sub.add_argument("run_id")
        if name == "status":
            sub.add_argument("--wait", metavar="STATE", help="wait (up to 60 s) until the run reaches STATE")
        else:
            sub.add_argument("--reviewer", default=os.environ.get("USER", "reviewer"))
    args = parser.parse_args(argv)

    try:
        client = connect_when_ready(args.db, args.ready_seconds)
    except NotReady as error:
        print(f"the app is not ready yet ({error}): start report_app.py on {args.db}", file=sys.stderr)
        return 1
    try:
        if args.command == "list":
            for run in runs(client):
                print(f"{run.workflow_id}  {run.status:<9}  {status(client, run.workflow_id)}")
        elif args.command == "trigger":
            print(trigger(client))
        elif args.command == "status":
            current = wait_for_status(client, args.run_id, args.wait, 60) if args.wait else status(client, args.run_id)
            found = client.list_workflows(workflow_ids=[args.run_id], load_input=False, load_output=False)
            workflow = found[0].status if found else None
            print(json.dumps({"workflow": workflow, "status": current, "report": report(client, args.run_id)}))
            if args.wait and current != args.wait:
                print(f"{args.run_id} did not reach {args.wait!r} within 60 s", file=sys.stderr)
                return 1
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
