"""Fan-out through one queue whose limits are the provider's: 2 in flight, 3 starts per second."""

from __future__ import annotations

import os

import llm_api
from dbos import DBOS, DBOSConfig

QUEUE = "llm"


@DBOS.step()
def call_llm(doc: str) -> str:
    return llm_api.summarize(doc)


@DBOS.workflow()
def summarize_one(doc: str) -> str:
    return call_llm(doc)


@DBOS.workflow()
def summarize_all(docs: list[str]) -> list[str]:
    handles = [DBOS.enqueue_workflow(QUEUE, summarize_one, doc) for doc in docs]
    return [h.get_result() for h in handles]


def launch_app() -> None:
    url = os.environ.get("DBOS_SYSTEM_DATABASE_URL")
    config: DBOSConfig = {"name": "summaries", "system_database_url": url}
    DBOS(config=config)
    DBOS.launch()
    # SQLite (Python < 3.12) stamps starts in whole seconds, so a 1-second period lets a start late in one
    # second and the next ones early in the following second share a real 1-second window. Counting starts
    # over 2 seconds keeps every real 1-second window within the limit there.
    on_postgres = bool(url) and url.startswith("postgresql")
    period = 1.0 if on_postgres else 2.0
    DBOS.register_queue(QUEUE, global_concurrency=2, limiter={"limit": 3, "period": period}, polling_interval_sec=0.1)
