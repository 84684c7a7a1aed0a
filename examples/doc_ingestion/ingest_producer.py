"""Producer: enqueue documents for the worker fleet with a DBOSClient. It needs no worker code, only the
names of the application, queue and workflow.

    python ingest_producer.py 100      # database URL from $DBOS_SYSTEM_DATABASE_URL
"""

from __future__ import annotations

import argparse
import math
import os

from dbos import DBOSClient, EnqueueOptions

# Must match ingest_app.py.
APP_NAME = "doc-ingestion"
QUEUE_NAME = "ingest"
WORKFLOW_NAME = "ingest_document"
CHUNK_WORDS = 50


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int)
    parser.add_argument("--db", default=os.environ.get("DBOS_SYSTEM_DATABASE_URL"), help="system database URL")
    args = parser.parse_args()
    if not args.db:
        parser.error("no database: pass --db or set DBOS_SYSTEM_DATABASE_URL")
    client = DBOSClient(system_database_url=args.db, application_name=APP_NAME)
    try:
        print(f"enqueued {len(enqueue_documents(client, args.count))} documents")
    finally:
        client.destroy()


if __name__ == "__main__":
    main()
