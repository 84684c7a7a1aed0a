"""A fleet of worker processes on one PostgreSQL database: one is SIGKILLed mid-flight and restarted.
Every document must be stored exactly once, and the limits must hold, measured from the start and end
times the workers recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import ingest_app
import ingest_producer
import pytest
import sqlalchemy as sa
from dbos import DBOSClient, WorkflowStatus
from example_harness import PYTHON, Processes, drop_database
from ingest_fleet import (
    APP_DIR,
    Limits,
    closed_intervals,
    max_overlap,
    peak_starts_in_window,
    read_attempts,
    start_worker,
    stored_counts,
    stored_total,
    wait_all_stored,
    wait_ready,
)
from ingest_producer import APP_NAME, QUEUE_NAME, enqueue_documents

JOBS = 240
WORKERS = 3
# The rate limit (16 starts/s) is set low enough to bind when the machine is idle; concurrency binds otherwise.
LIMITS = Limits(global_concurrency=6, worker_concurrency=3, rate_limit=8, rate_period_sec=0.5, work_seconds=0.05)


@pytest.fixture
def engine(pg_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(sa.make_url(pg_url).set(drivername="postgresql+psycopg"))
    try:
        yield engine
    finally:
        engine.dispose()


def test_fleet_survives_a_killed_worker(pg_url: str, engine: sa.Engine, procs: Processes, tmp_path: Path) -> None:
    workers = {
        f"worker-{i}": start_worker(procs, pg_url, f"worker-{i}", LIMITS, tmp_path) for i in range(1, WORKERS + 1)
    }
    wait_ready(procs, workers.values())

    client = DBOSClient(system_database_url=pg_url, application_name=APP_NAME)
    try:
        began = time.time()
        expected = enqueue_documents(client, JOBS)

        # Kill worker-1 once the fleet is busy and worker-1 is inside a document.
        victim = workers["worker-1"]

        def victim_mid_flight() -> bool:
            if stored_total(engine) < JOBS // 4:
                return False
            return any(a.pid == victim.pid and a.ended is None for a in read_attempts(engine))

        procs.wait_until(
            "worker-1 to be mid-document", victim_mid_flight, timeout=90, interval=0.02, watch=list(workers.values())
        )
        procs.kill(victim)
        killed_at = {victim.pid: time.time()}
        workers["worker-1"] = start_worker(procs, pg_url, "worker-1", LIMITS, tmp_path)  # same executor ID

        finished = wait_all_stored(procs, engine, JOBS, watch=list(workers.values()))

        # The document rows commit with the transaction step; the workflow records SUCCESS just after.
        def all_finished() -> list[WorkflowStatus] | None:
            found = client.list_workflows(queue_name=QUEUE_NAME, load_input=False, load_output=False)
            return found if all(s.status in ("SUCCESS", "ERROR") for s in found) else None

        statuses = procs.wait_until("every workflow to finish", all_finished, timeout=60, watch=list(workers.values()))
    finally:
        client.destroy()

    # Exactly once: one document row and the right number of chunks per document, all workflows done.
    assert stored_counts(engine) == {doc_id: (1, n) for doc_id, n in expected.items()}
    assert Counter(s.status for s in statuses) == Counter({"SUCCESS": JOBS})

    # The kill really interrupted work, and that work was redone by a live worker.
    attempts = read_attempts(engine)
    cut_short = {a.doc_id for a in attempts if a.ended is None}
    assert cut_short and all(a.pid == victim.pid for a in attempts if a.ended is None)
    redone = {a.doc_id for a in attempts if a.ended is not None and a.doc_id in cut_short}
    assert redone == cut_short

    # Concurrency, measured from what the workers recorded (a killed attempt ends at the kill).
    intervals = closed_intervals(attempts, killed_at)
    assert max_overlap((s, e) for _, s, e in intervals) <= LIMITS.global_concurrency
    for worker_id in workers:
        assert max_overlap((s, e) for w, s, e in intervals if w == worker_id) <= LIMITS.worker_concurrency
    # Rate limit, measured from the dequeue times DBOS stamped with the database clock.
    starts = [s.dequeued_at for s in statuses if s.dequeued_at is not None]
    assert len(starts) == JOBS
    peak_rate = peak_starts_in_window(starts, int(LIMITS.rate_period_sec * 1000))
    assert peak_rate <= LIMITS.rate_limit

    for worker in workers.values():
        procs.stop(worker)
    print(
        f"\n{JOBS} documents, {WORKERS} workers, limits {LIMITS}: {JOBS / (finished - began):.1f} jobs/s "
        f"including one kill and restart; peak concurrency {max_overlap((s, e) for _, s, e in intervals)}, "
        f"{len(cut_short)} documents interrupted and redone; peak starts per window {peak_rate}"
    )


def test_producer_names_match_the_app() -> None:
    for name in ("APP_NAME", "QUEUE_NAME", "WORKFLOW_NAME", "CHUNK_WORDS"):
        assert getattr(ingest_producer, name) == getattr(ingest_app, name), name


def test_producer_reports_what_it_really_enqueued_and_a_worker_stops_at_once(
    pg_url: str, procs: Processes, tmp_path: Path
) -> None:
    """A fresh database name: the worker creates it. Re-running the producer counts only new documents.
    SIGTERM stops the worker within seconds even with documents in flight."""
    fresh = sa.make_url(pg_url).set(database=f"{sa.make_url(pg_url).database}_app")
    url = fresh.render_as_string(hide_password=False)
    slow = Limits(work_seconds=5.0)  # documents stay in flight while the worker is stopped
    worker = start_worker(procs, url, "worker-1", slow, tmp_path)
    try:
        producer = [PYTHON, str(APP_DIR / "ingest_producer.py"), "--db", url]
        first = subprocess.run([*producer, "3"], capture_output=True, text=True, timeout=120)
        assert first.stdout == "enqueued 3 new documents (0 of 3 were already enqueued)\n", first.stderr
        again = subprocess.run([*producer, "5"], capture_output=True, text=True, timeout=120)
        assert again.stdout == "enqueued 2 new documents (3 of 5 were already enqueued)\n", again.stderr
        wait_ready(procs, [worker])
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            assert worker.popen.wait(timeout=10) == 0, worker.tail()
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker still running 10 s after SIGTERM\n{worker.tail()}")
    finally:
        procs.cleanup()
        drop_database(url)


def test_producer_says_the_app_is_not_ready_yet(pg_url: str) -> None:
    missing = sa.make_url(pg_url).set(database=f"{sa.make_url(pg_url).database}_never_created")
    url = missing.render_as_string(hide_password=False)
    done = subprocess.run(
        [PYTHON, str(APP_DIR / "ingest_producer.py"), "--db", url, "--ready-seconds", "1", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("the app is not ready yet (") and done.stderr.count("\n") == 1, done.stderr
