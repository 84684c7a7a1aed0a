"""Drive a fleet of ingestion workers: start them, then measure what happened from the rows the workers
wrote. Shared by the tests and bench.py; documents are enqueued with ingest_producer."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from example_harness import PYTHON, Proc, Processes

APP_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Limits:
    global_concurrency: int = 6
    worker_concurrency: int = 3
    rate_limit: int = 60
    rate_period_sec: float = 1.0
    work_seconds: float = 0.05

    def env(self) -> dict[str, str | None]:
        return {
            "INGEST_GLOBAL_CONCURRENCY": str(self.global_concurrency),
            "INGEST_WORKER_CONCURRENCY": str(self.worker_concurrency),
            "INGEST_RATE_LIMIT": str(self.rate_limit),
            "INGEST_RATE_PERIOD_SEC": str(self.rate_period_sec),
            "INGEST_WORK_SECONDS": str(self.work_seconds),
        }


def start_worker(procs: Processes, database_url: str, worker_id: str, limits: Limits, workdir: Path) -> Proc:
    return procs.spawn(
        worker_id,
        [PYTHON, str(APP_DIR / "ingest_app.py")],
        cwd=workdir,
        env={"DBOS_SYSTEM_DATABASE_URL": database_url, "INGEST_WORKER_ID": worker_id, **limits.env()},
    )


def wait_ready(procs: Processes, workers: Iterable[Proc], timeout: float = 90.0) -> None:
    def announced(worker: Proc) -> bool:
        return f"{worker.name} ready" in worker.tail()

    for worker in workers:
        procs.wait_until(f"{worker.name} to be ready", partial(announced, worker), timeout=timeout, watch=[worker])


@dataclass(frozen=True)
class Attempt:
    doc_id: str
    worker: str
    pid: int
    started: float
    ended: float | None


def read_attempts(engine: sa.Engine) -> list[Attempt]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT doc_id, worker, pid, started, ended FROM attempts ORDER BY started"))
        return [Attempt(*row) for row in rows]


def stored_counts(engine: sa.Engine) -> dict[str, tuple[int, int]]:
    """{doc_id: (document rows, chunk rows)}"""
    with engine.connect() as conn:
        docs = {
            r[0]: int(r[1]) for r in conn.execute(sa.text("SELECT doc_id, count(*) FROM documents GROUP BY doc_id"))
        }
        parts = {r[0]: int(r[1]) for r in conn.execute(sa.text("SELECT doc_id, count(*) FROM chunks GROUP BY doc_id"))}
    return {doc_id: (n, parts.get(doc_id, 0)) for doc_id, n in docs.items()}


def stored_total(engine: sa.Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(DISTINCT doc_id) FROM documents")).scalar_one())
    except sa.exc.ProgrammingError:  # table not created yet
        return 0


def max_overlap(intervals: Iterable[tuple[float, float]]) -> int:
    """Largest number of intervals open at one instant (an end at t closes before a start at t)."""
    spans = list(intervals)
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def closed_intervals(attempts: Iterable[Attempt], killed_at: Mapping[int, float]) -> list[tuple[str, float, float]]:
    """(worker, start, end) per attempt; an attempt cut short by a kill ends when its process died."""
    result = []
    for a in attempts:
        end = a.ended if a.ended is not None else killed_at.get(a.pid)
        if end is None:
            raise AssertionError(f"attempt of {a.doc_id} on pid {a.pid} never ended and its process was not killed")
        result.append((a.worker, a.started, end))
    return result


def peak_starts_in_window(starts_ms: Iterable[int], period_ms: int) -> int:
    """Most starts in any window (t - period, t], the window DBOS's rate limiter counts."""
    ordered = sorted(starts_ms)
    peak, lo = 0, 0
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - period_ms:
            lo += 1
        peak = max(peak, hi - lo + 1)
    return peak


def wait_all_stored(
    procs: Processes, engine: sa.Engine, count: int, watch: list[Proc], timeout: float = 120.0
) -> float:
    """Wait until every document is stored; return the time it happened."""
    procs.wait_until(
        f"all {count} documents to be stored",
        lambda: stored_total(engine) >= count,
        timeout=timeout,
        interval=0.2,
        watch=watch,
    )
    return time.time()
