"""Backend side of the approval service: DBOSClient only, no import of the worker's code."""

from __future__ import annotations

from dbos import DBOSClient, EnqueueOptions

APP_NAME = "approvals"  # the worker's DBOS app name: the client's rows belong to it
WORKFLOW_NAME = "approve_expense"  # the registered name: the worker function's __qualname__
QUEUE = "approvals"


def _workflow_id(request_id: str) -> str:
    return f"approval-{request_id}"


def submit(database_url: str, request_id: str) -> str:
    client = DBOSClient(system_database_url=database_url, application_name=APP_NAME)
    try:
        options: EnqueueOptions = {
            "queue_name": QUEUE,
            "workflow_name": WORKFLOW_NAME,
            "workflow_id": _workflow_id(request_id),
        }
        return client.enqueue(options, request_id).workflow_id
    finally:
        client.destroy()


def decide(database_url: str, request_id: str, approved: bool) -> None:
    client = DBOSClient(system_database_url=database_url, application_name=APP_NAME)
    try:
        client.send(_workflow_id(request_id), "approve" if approved else "reject", "decision")
    finally:
        client.destroy()
