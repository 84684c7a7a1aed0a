"""FastAPI + DBOS: launch and queue registration in the async lifespan, async variants in async code."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dbos import DBOS, DBOSConfig, SetWorkflowID
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

QUEUE = "reports"


@DBOS.step()
async def compute(n: int) -> dict[str, int]:
    return {"n": n, "total": sum(i * i for i in range(n))}


@DBOS.workflow()
async def build_report(n: int) -> dict[str, int]:
    await DBOS.sleep_async(0.2)
    return await compute(n)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    config: DBOSConfig = {
        "name": "reports",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
    # A lifespan is async code: the sync register_queue raises while the event loop runs.
    await DBOS.register_queue_async(QUEUE, worker_concurrency=2, polling_interval_sec=0.1)
    yield
    DBOS.destroy()


app = FastAPI(lifespan=lifespan)


class ReportRequest(BaseModel):
    n: int


@app.post("/reports", status_code=202)
async def create_report(body: ReportRequest, idempotency_key: str | None = Header(None)) -> dict[str, str]:
    if idempotency_key:
        with SetWorkflowID(f"report-{idempotency_key}"):
            handle = await DBOS.enqueue_workflow_async(QUEUE, build_report, body.n)
    else:
        handle = await DBOS.enqueue_workflow_async(QUEUE, build_report, body.n)
    return {"report_id": handle.workflow_id}


@app.get("/reports/{report_id}")
async def get_report(report_id: str) -> dict[str, Any]:
    status = await DBOS.get_workflow_status_async(report_id)
    if status is None:
        raise HTTPException(status_code=404, detail="unknown report")
    return {"status": status.status, "result": status.output if status.status == "SUCCESS" else None}
