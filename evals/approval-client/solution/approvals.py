"""Approval worker: one workflow per request, parked in a durable recv until a decision or the timeout."""

from __future__ import annotations

import os
import threading

from dbos import DBOS, DBOSConfig

QUEUE = "approvals"
DECISION_TOPIC = "decision"
TIMEOUT_SEC = float(os.environ.get("APPROVAL_TIMEOUT_SEC", "86400"))  # read once: a workflow must not read env


@DBOS.workflow()
def approve_expense(request_id: str) -> str:
    decision = DBOS.recv(DECISION_TOPIC, timeout_seconds=TIMEOUT_SEC)
    if decision is None:  # recv returns None on timeout
        return "expired"
    return "approved" if decision == "approve" else "rejected"


def main() -> None:
    config: DBOSConfig = {
        "name": "approvals",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
    DBOS.register_queue(QUEUE, polling_interval_sec=0.2)
    threading.Event().wait()  # serve until killed


if __name__ == "__main__":
    main()
