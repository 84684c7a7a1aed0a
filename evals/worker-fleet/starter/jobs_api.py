"""The job runner. Do not modify: the tests read its log of starts and ends."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def _log(event: str, job_id: str) -> None:
    path = Path(os.environ.get("JOBS_LOG", "jobs_log.jsonl"))
    with path.open("a") as f:
        f.write(json.dumps({"event": event, "job_id": job_id, "pid": os.getpid(), "t": time.time()}) + "\n")


def run(job_id: str) -> str:
    _log("start", job_id)
    time.sleep(float(os.environ.get("JOB_SECONDS", "5")))
    hold = os.environ.get("JOBS_HOLD_FILE")  # the tests hold jobs in flight while this file exists
    while hold and Path(hold).exists():
        time.sleep(0.05)
    _log("end", job_id)
    return f"done {job_id}"
