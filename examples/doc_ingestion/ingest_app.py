"""Document ingestion worker: one process of a fleet that shares one PostgreSQL database.

Every worker registers the same queue and runs whatever it dequeues, within three limits the database
enforces across the fleet: at most GLOBAL_CONCURRENCY documents in flight in total, at most
WORKER_CONCURRENCY per worker, and at most RATE_LIMIT starts per RATE_PERIOD_SEC seconds.
Producers enqueue with a DBOSClient (ingest_producer.py); they need no worker code.

Run a fleet from the repository root (each worker needs its own, stable executor ID; README.md here):
    export DBOS_SYSTEM_DATABASE_URL=postgresql://postgres:postgres@localhost:5432/ingest
    INGEST_WORKER_ID=worker-1 python examples/doc_ingestion/ingest_app.py &
    INGEST_WORKER_ID=worker-2 python examples/doc_ingestion/ingest_app.py &
The database is created if it does not exist. A worker that dies leaves its documents PENDING; restarting
it with the same INGEST_WORKER_ID puts them back on the queue. SIGTERM or Ctrl-C stops a worker at once.
Without DBOS_SYSTEM_DATABASE_URL one worker runs on SQLite files in INGEST_STATE_DIR (default state/ here).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import sqlalchemy as sa
from dbos import DBOS, DBOSConfig, SQLAlchemyDatasource

APP_NAME = "doc-ingestion"
QUEUE_NAME = "ingest"
WORKFLOW_NAME = "ingest_document"
GLOBAL_CONCURRENCY = int(os.environ.get("INGEST_GLOBAL_CONCURRENCY", "6"))
WORKER_CONCURRENCY = int(os.environ.get("INGEST_WORKER_CONCURRENCY", "3"))
RATE_LIMIT = int(os.environ.get("INGEST_RATE_LIMIT", "60"))
RATE_PERIOD_SEC = float(os.environ.get("INGEST_RATE_PERIOD_SEC", "1.0"))
# Stands in for the slow part of ingestion (parsing, OCR, an embedding API call).
WORK_SECONDS = float(os.environ.get("INGEST_WORK_SECONDS", "0.05"))
CHUNK_WORDS = 50
# Everything the app writes goes here, never into the source tree. ingest_producer.py uses the same paths.
STATE_DIR = Path(os.environ.get("INGEST_STATE_DIR") or Path(__file__).resolve().parent / "state")
SQLITE_SYSTEM_URL = f"sqlite:///{STATE_DIR / 'doc_ingestion.sqlite'}"

metadata = sa.MetaData()
# doc_id is deliberately not unique, so a duplicate ingestion would show up as a second row.
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", sa.String, nullable=False, index=True),
    sa.Column("chunk_count", sa.Integer, nullable=False),
    sa.Column("worker", sa.String, nullable=False),
)
chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", sa.String, nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
# Measurement only: one row per execution of the extraction step, committed on its own so that it
# survives a crash. The tests read it to check the concurrency limits.
attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("doc_id", sa.String, nullable=False),
    sa.Column("worker", sa.String, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started", sa.Float, nullable=False),
    sa.Column("ended", sa.Float),
)


def system_database_url() -> str:
    return os.environ.get("DBOS_SYSTEM_DATABASE_URL") or SQLITE_SYSTEM_URL


def app_database_url() -> str:
    """The application's own tables live in INGEST_DATABASE_URL, by default the system database."""
    return (
        os.environ.get("INGEST_DATABASE_URL")
        or os.environ.get("DBOS_SYSTEM_DATABASE_URL")
        or f"sqlite:///{STATE_DIR / 'doc_ingestion_data.sqlite'}"
    )


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist (the datasource connects to it before
    DBOS.launch() would create it); for SQLite, the file's folder."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        return
    admin = sa.create_engine(
        parsed.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if exists.first() is None:
                # Workers starting together race here: the loser's "already exists" is fine.
                with contextlib.suppress(sa.exc.ProgrammingError, sa.exc.IntegrityError):
                    conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


@functools.cache
def app_db() -> SQLAlchemyDatasource:
    """The application database. Created once per process, before DBOS.launch()."""
    ensure_database(app_database_url())
    return SQLAlchemyDatasource.create(app_database_url())


def create_tables() -> None:
    """Idempotent; on PostgreSQL an advisory lock keeps workers starting together from racing."""
    with app_db().engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('doc_ingestion_schema'))"))
        metadata.create_all(conn)


@DBOS.step()
def extract_chunks(doc_id: str, text: str) -> list[str]:
    """The slow part. At-least-once: a crash mid-way runs it again after recovery."""
    engine = app_db().engine
    with engine.begin() as conn:
        attempt_id = conn.execute(
            attempts.insert()
            .values(doc_id=doc_id, worker=DBOS.executor_id, pid=os.getpid(), started=time.time())
            .returning(attempts.c.id)
        ).scalar_one()
    time.sleep(WORK_SECONDS)
    words = text.split()
    pieces = [" ".join(words[i : i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS)]
    with engine.begin() as conn:
        conn.execute(attempts.update().where(attempts.c.id == attempt_id).values(ended=time.time()))
    return pieces


def insert_document(doc_id: str, pieces: list[str]) -> int:
    """Runs as a datasource transaction: the rows and DBOS's checkpoint commit together, so the
    document is stored exactly once even if the worker dies at any instant."""
    session = app_db().sql_session()
    session.execute(documents.insert().values(doc_id=doc_id, chunk_count=len(pieces), worker=DBOS.executor_id))
    if pieces:
        session.execute(chunks.insert(), [{"doc_id": doc_id, "position": i, "body": p} for i, p in enumerate(pieces)])
    return len(pieces)


@DBOS.workflow(name=WORKFLOW_NAME)
def ingest_document(doc_id: str, text: str) -> int:
    pieces = extract_chunks(doc_id, text)
    return app_db().run_tx_step({"name": "insert_document"}, insert_document, doc_id, pieces)


def register_ingest_queue() -> None:
    DBOS.register_queue(
        QUEUE_NAME,
        global_concurrency=GLOBAL_CONCURRENCY,
        worker_concurrency=WORKER_CONCURRENCY,
        limiter={"limit": RATE_LIMIT, "period": RATE_PERIOD_SEC},
        polling_interval_sec=0.1,  # the default 1 s would cap each worker at a few dequeues a second
    )


def main() -> None:
    worker_id = os.environ.get("INGEST_WORKER_ID", "worker-1")
    config: DBOSConfig = {
        "name": APP_NAME,
        # SQLite by default, fine for one worker on a laptop; a fleet needs PostgreSQL.
        "system_database_url": system_database_url(),
        # Recovery is per executor: a restarted worker re-queues the work its predecessor held.
        "executor_id": worker_id,
        "application_version": "1",  # the same on every worker; bump when in-flight work cannot replay
    }
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    DBOS(config=config)
    app_db()  # datasources must exist before launch
    create_tables()
    DBOS.launch()
    register_ingest_queue()
    DBOS.logger.info(f"{worker_id} ready (pid {os.getpid()})")
    stop.wait()
    DBOS.destroy()
    # Leave without joining the workflow threads: unfinished documents are durable, and a restart under the
    # same INGEST_WORKER_ID resumes them.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
