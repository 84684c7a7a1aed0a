"""Order pipeline: a FastAPI service whose endpoint starts an idempotent, durable checkout workflow.

Run it from the repository root with the project's virtualenv active (README.md in this folder):
    uvicorn order_app:app --app-dir examples/order_pipeline --port 8000
SQLite by default (state/order_pipeline.sqlite next to this file); on PostgreSQL (the database is created):
    DBOS_SYSTEM_DATABASE_URL=postgresql://postgres:postgres@localhost:5432/orders uvicorn ...
State (the SQLite file, the effects log) goes to ORDER_STATE_DIR, default state/ here (git-ignored).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypedDict

from dbos import DBOS, DBOSConfig, SetWorkflowID
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

APP_NAME = "order-pipeline"
STAGE_EVENT = "stage"

# Everything the app writes goes here, never into the source tree.
STATE_DIR = Path(os.environ.get("ORDER_STATE_DIR") or Path(__file__).resolve().parent / "state")
# The payment provider, warehouse and mailer are simulated: each call appends one JSON line to this
# file (the "outside world"), so the tests can count how often every side effect really happened.
EFFECTS_LOG = Path(os.environ.get("ORDER_EFFECTS_LOG") or STATE_DIR / "effects.jsonl")
# Fault injection for the crash test: while the file <ORDER_HOLD_DIR>/<step name> exists, that step
# stops half-way, after announcing itself in the effects log.
HOLD_DIR = os.environ.get("ORDER_HOLD_DIR")
# Units on hand per SKU; anything else is out of stock.
STOCK = {"widget": 1000, "gizmo": 1000}


class Order(TypedDict):
    sku: str
    quantity: int
    amount_cents: int
    email: str


class OrderIn(BaseModel):
    sku: str
    quantity: int = Field(gt=0)
    amount_cents: int = Field(gt=0)
    email: str


class OutOfStock(Exception):
    """The warehouse refused the reservation: compensate, do not retry."""


def record_effect(order_id: str, action: str, phase: str) -> None:
    line = {"order_id": order_id, "action": action, "phase": phase, "pid": os.getpid()}
    with EFFECTS_LOG.open("a") as log:
        log.write(json.dumps(line) + "\n")


def hold_point(step_name: str) -> None:
    if HOLD_DIR is None:
        return
    flag = Path(HOLD_DIR) / step_name
    deadline = time.monotonic() + 120
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


# Every step is at-least-once: a crash after the side effect but before the checkpoint re-runs it.
# So each external call carries the order id as its idempotency key, as a real provider requires.
@DBOS.step(retries_allowed=True, max_attempts=3)
def charge_payment(order_id: str, amount_cents: int) -> str:
    record_effect(order_id, "charge", "start")
    hold_point("charge_payment")
    record_effect(order_id, "charge", "done")
    return f"ch_{order_id}_{amount_cents}"


@DBOS.step()
def reserve_inventory(order_id: str, sku: str, quantity: int) -> None:
    record_effect(order_id, "reserve", "start")
    hold_point("reserve_inventory")
    if STOCK.get(sku, 0) < quantity:
        record_effect(order_id, "reserve", "refused")
        raise OutOfStock(f"{sku}: {quantity} requested")
    record_effect(order_id, "reserve", "done")


@DBOS.step(retries_allowed=True, max_attempts=3)
def refund_payment(order_id: str, charge_id: str) -> None:
    record_effect(order_id, "refund", "start")
    record_effect(order_id, "refund", "done")


@DBOS.step(retries_allowed=True, max_attempts=5)
def send_confirmation(order_id: str, email: str) -> None:
    record_effect(order_id, "email", "start")
    hold_point("send_confirmation")
    record_effect(order_id, "email", "done")


@DBOS.workflow(name="checkout")
def checkout(order: Order) -> str:
    order_id = DBOS.workflow_id
    assert order_id is not None
    DBOS.set_event(STAGE_EVENT, "charging")
    charge_id = charge_payment(order_id, order["amount_cents"])
    DBOS.set_event(STAGE_EVENT, "reserving")
    try:
        reserve_inventory(order_id, order["sku"], order["quantity"])
    except OutOfStock:
        # Compensation: undo the completed steps, newest first, then fail the workflow (status ERROR).
        # The refused step's error is checkpointed, so a recovery replays this same branch.
        refund_payment(order_id, charge_id)
        DBOS.set_event(STAGE_EVENT, "refunded")
        raise
    DBOS.set_event(STAGE_EVENT, "confirming")
    send_confirmation(order_id, order["email"])
    DBOS.set_event(STAGE_EVENT, "completed")
    return "completed"


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    config: DBOSConfig = {
        "name": APP_NAME,
        # PostgreSQL: DBOS creates the database if it does not exist. Otherwise a SQLite file in STATE_DIR.
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL")
        or f"sqlite:///{STATE_DIR / 'order_pipeline.sqlite'}",
        # Pinned: recovery only resumes workflows of its own version. Bump it only when in-flight
        # checkouts could not replay on the new code.
        "application_version": "1",
        # One server process per executor ID (DBOS__VMID, default "local"): do not run uvicorn --workers N
        # on one ID, or each process's launch re-runs the others' in-flight checkouts.
    }
    DBOS(config=config)
    DBOS.launch()  # also re-runs every checkout this process left unfinished when it died
    yield
    DBOS.destroy()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


# Plain `def` endpoints run in FastAPI's thread pool, where DBOS's blocking calls belong.
@app.post("/orders", status_code=202)
def create_order(body: OrderIn, idempotency_key: str = Header()) -> dict[str, str]:
    """Start the checkout whose workflow ID is derived from the client's idempotency key: a retried
    request attaches to the same workflow instead of charging twice."""
    order_id = f"order-{idempotency_key}"
    order: Order = {
        "sku": body.sku,
        "quantity": body.quantity,
        "amount_cents": body.amount_cents,
        "email": body.email,
    }
    with SetWorkflowID(order_id):
        DBOS.start_workflow(checkout, order)
    status = DBOS.get_workflow_status(order_id)
    if status is None or status.input is None or list(status.input["args"]) != [order]:
        raise HTTPException(409, f"idempotency key {idempotency_key!r} was used for another order")
    return {"order_id": order_id}


@app.get("/orders/{order_id}")
def get_order(order_id: str) -> dict[str, Any]:
    status = DBOS.get_workflow_status(order_id)
    if status is None:
        raise HTTPException(404, f"no order {order_id}")
    stage: str | None = DBOS.get_event(order_id, STAGE_EVENT, timeout_seconds=0)
    return {"order_id": order_id, "stage": stage, "workflow_status": status.status}
