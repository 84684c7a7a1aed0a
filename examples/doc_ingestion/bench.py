"""Throughput of the ingestion fleet, in documents per second. A benchmark, not a test: it asserts
nothing about time. Each run uses a fresh database on the PostgreSQL server.

    python examples/doc_ingestion/bench.py --server postgresql://postgres:postgres@localhost:5432/postgres
    python examples/doc_ingestion/bench.py --workers 1,2,4 --jobs 500 --global-concurrency 12 --rate-limit 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(APP_DIR), str(APP_DIR.parent)]

import sqlalchemy as sa  # noqa: E402
from dbos import DBOSClient  # noqa: E402
from example_harness import Processes, create_database, drop_database  # noqa: E402
from ingest_fleet import (  # noqa: E402
    Limits,
    closed_intervals,
    max_overlap,
    read_attempts,
    start_worker,
    wait_all_stored,
    wait_ready,
)
from ingest_producer import APP_NAME, QUEUE_NAME, enqueue_documents  # noqa: E402


def run(server_url: str, workers: int, jobs: int, limits: Limits) -> str:
    database_url = create_database(server_url, prefix="dbos_ingest_bench")
    engine = sa.create_engine(sa.make_url(database_url).set(drivername="postgresql+psycopg"))
    with tempfile.TemporaryDirectory() as tmp:
        procs = Processes(log_dir=Path(tmp))
        try:
            fleet = [start_worker(procs, database_url, f"worker-{i}", limits, Path(tmp)) for i in range(1, workers + 1)]
            wait_ready(procs, fleet)
            client = DBOSClient(system_database_url=database_url, application_name=APP_NAME)
            try:
                began = time.time()
                enqueue_documents(client, jobs)
                enqueued = time.time()
                finished = wait_all_stored(procs, engine, jobs, watch=fleet, timeout=600)
                statuses = client.list_workflows(queue_name=QUEUE_NAME, load_input=False, load_output=False)
            finally:
                client.destroy()
            first_start = min(s.dequeued_at for s in statuses if s.dequeued_at is not None) / 1000
            last_end = max(s.completed_at for s in statuses if s.completed_at is not None) / 1000
            peak = max_overlap((s, e) for _, s, e in closed_intervals(read_attempts(engine), {}))
            for worker in fleet:
                procs.stop(worker)
        finally:
            procs.cleanup()
            engine.dispose()
            drop_database(database_url)
    return (
        f"{workers:>7}  {jobs:>4}  {jobs / (enqueued - began):>9.0f}  {jobs / (finished - began):>12.1f}  "
        f"{jobs / (last_end - first_start):>17.1f}  {peak:>4}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--server",
        default=os.environ.get("DBOS_TEST_POSTGRES_URL"),
        help="PostgreSQL server URL (default: $DBOS_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--workers", default="1,3", help="comma-separated fleet sizes to run (default: 1,3)")
    parser.add_argument("--jobs", type=int, default=300)
    defaults = Limits()
    parser.add_argument("--global-concurrency", type=int, default=defaults.global_concurrency)
    parser.add_argument("--worker-concurrency", type=int, default=defaults.worker_concurrency)
    parser.add_argument("--rate-limit", type=int, default=defaults.rate_limit, help="starts per --rate-period")
    parser.add_argument("--rate-period", type=float, default=defaults.rate_period_sec)
    parser.add_argument("--work-seconds", type=float, default=defaults.work_seconds, help="simulated work per document")
    args = parser.parse_args()
    if not args.server:
        parser.error("no PostgreSQL server: pass --server or set DBOS_TEST_POSTGRES_URL")
    limits = Limits(
        args.global_concurrency, args.worker_concurrency, args.rate_limit, args.rate_period, args.work_seconds
    )
    print(f"limits: {limits}")
    print("workers  jobs  enqueue/s  end-to-end/s  dequeue-to-done/s  peak")
    for workers in (int(n) for n in args.workers.split(",")):
        print(run(args.server, workers, args.jobs, limits), flush=True)


if __name__ == "__main__":
    main()
