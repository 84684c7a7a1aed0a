"""Producer: enqueue documents for the worker fleet with a DBOSClient. It needs no worker code, only the
names of the application, queue and workflow.

    python examples/doc_ingestion/ingest_producer.py 100 [--wait]

The database is --db, else $DBOS_SYSTEM_DATABASE_URL, else the worker's SQLite default. The producer first
waits (up to --ready-seconds) for a worker to have created the database, and otherwise says in one line that
the app is not ready yet. Documents have stable IDs: running it again enqueues only the new ones and says so.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from dbos import DBOSClient, EnqueueOptions

# Must match ingest_app.py.
APP_NAME = "doc-ingestion"
QUEUE_NAME = "ingest"
WORKFLOW_NAME = "ingest_document"
CHUNK_WORDS = 50
STATE_DIR = Path(os.environ.get("INGEST_STATE_DIR") or Path(__file__).resolve().parent / "state")
SQLITE_SYSTEM_URL = f"sqlite:///{STATE_DIR / 'doc_ingestion.sqlite'}"
FINISHED = ("SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")


class NotReady(Exception):
    """No worker has created the system database (yet)."""


def document_text(n: int) -> str:
    """Sample document number n: 20 to 140 words."""
    return " ".join(f"w{n}x{i}" for i in range(20 * (n % 7 + 1)))


def expected_chunks(n: int) -> int:
    return math.ceil(20 * (n % 7 + 1) / CHUNK_WORDS)


def enqueue_documents(client: DBOSClient, count: int) -> dict[str, int]:
    """Enqueue sample documents 0..count-1 and return {doc_id: expected chunk count}. The workflow ID is
    the document ID, so enqueueing a document again attaches to the first enqueue instead of adding one."""
    expected: dict[str, int] = {}
    for n in range(count):
        doc_id = f"doc-{n:05d}"
        options: EnqueueOptions = {
            "queue_name": QUEUE_NAME,
            "workflow_name": WORKFLOW_NAME,
            "workflow_id": doc_id,
            "application_name": APP_NAME,  # owned by the app, so its workers dequeue it
        }
        client.enqueue(options, doc_id, document_text(n))
        expected[doc_id] = expected_chunks(n)
    return expected


def connect_when_ready(database_url: str, wait_seconds: float) -> DBOSClient:
    """A client, once a worker has launched (database created and migrated, queue registered). A client never
    creates or migrates the database, and enqueueing during the migration would fail."""
    deadline = time.monotonic() + wait_seconds
    while True:
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
            # A worker registers the queue after DBOS.launch() has migrated the database: then it is ready.
            if client.retrieve_queue(QUEUE_NAME) is not None:
                return client
            problem = f"no worker has registered the queue {QUEUE_NAME!r}"
        except Exception as error:  # a missing database or tables
            problem = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if client is not None:
            client.destroy()
        if time.monotonic() >= deadline:
            raise NotReady(problem)
        time.sleep(0.5)


def already_enqueued(client: DBOSClient, doc_ids: list[str]) -> set[str]:
    found = client.list_workflows(workflow_ids=doc_ids, load_input=False, load_output=False)
    return {status.workflow_id for status in found}


def wait_finished(client: DBOSClient, doc_ids: list[str], timeout: float) -> int:
    """Print progress until every document's workflow has finished; return how many finished."""
    deadline = time.monotonic() + timeout
    shown = -1
    while True:
        found = client.list_workflows(workflow_ids=doc_ids, status=list(FINISHED), load_input=False, load_output=False)
        if len(found) != shown:
            shown = len(found)
            print(f"finished {shown}/{len(doc_ids)}", flush=True)
        if shown == len(doc_ids) or time.monotonic() > deadline:
            return shown
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument(
        "--db", default=os.environ.get("DBOS_SYSTEM_DATABASE_URL") or SQLITE_SYSTEM_URL, help="system database URL"
    )
    parser.add_argument("--wait", action="store_true", help="then wait (up to 10 min) until every document is done")
    parser.add_argument("--ready-seconds", type=float, default=60, help="how long to wait for a worker (default 60)")
    args = parser.parse_args()
    try:
        client = connect_when_ready(args.db, args.ready_seconds)
    except NotReady as error:
        sys.exit(f"the app is not ready yet ({error}): start ingest_app.py on {args.db}")
    try:
        doc_ids = [f"doc-{n:05d}" for n in range(args.count)]
        before = already_enqueued(client, doc_ids)
        enqueue_documents(client, args.count)
        new = len(doc_ids) - len(before)
        print(f"enqueued {new} new documents ({len(before)} of {len(doc_ids)} were already enqueued)")
        if args.wait and wait_finished(client, doc_ids, timeout=600) != len(doc_ids):
            sys.exit("not every document finished within 10 minutes: are the workers running?")
    finally:
        client.destroy()


if __name__ == "__main__":
    main()
