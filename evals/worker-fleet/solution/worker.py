"""A fleet worker: one job at a time per process, its own stable executor ID (from WORKER_ID)."""

from __future__ import annotations

import os
import threading

import jobs_api
from dbos import DBOS, DBOSConfig


@DBOS.step()
def run_job(job_id: str) -> str:
    return jobs_api.run(job_id)


@DBOS.workflow()
def process_job(job_id: str) -> str:
    return run_job(job_id)


def main() -> None:
    config: DBOSConfig = {
        "name": "jobs",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
        # Launch recovers the PENDING workflows of its executor ID: a process sharing another's ID would
        # re-run that one's jobs while they run. Stable across restarts, so a restarted worker recovers its own.
        "executor_id": os.environ["WORKER_ID"],
    }
    DBOS(config=config)
    DBOS.launch()
    DBOS.register_queue("jobs", worker_concurrency=1, polling_interval_sec=0.2)
    threading.Event().wait()  # serve until killed


if __name__ == "__main__":
    main()
