"""Shop service on DBOS 3.4: lifespan launch, a datasource for transactions, a registered queue, a schedule."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import notifications
import sqlalchemy as sa
from dbos import DBOS, DBOSConfig, SetWorkflowID, SQLAlchemyDatasource
from fastapi import FastAPI, HTTPException

EMAILS = "emails"
_app_db: dict[str, SQLAlchemyDatasource] = {}  # set in the lifespan, from APP_DATABASE_URL


def _ds() -> SQLAlchemyDatasource:
    return _app_db["shop"]


def insert_order(order_id: str, total: int) -> None:
    _ds().sql_session().execute(
        sa.text("INSERT INTO orders (id, total) VALUES (:id, :total)"), {"id": order_id, "total": total}
    )


@DBOS.step()
def send_confirmation(order_id: str) -> None:
    notifications.send_confirmation(order_id)


@DBOS.workflow()
def confirm_order(order_id: str) -> None:
    send_confirmation(order_id)


@DBOS.workflow()
def place_order(order_id: str, total: int) -> str:
    _ds().run_tx_step({"name": "insert_order"}, insert_order, order_id, total)
    DBOS.enqueue_workflow(EMAILS, confirm_order, order_id)
    return order_id


@DBOS.step()
def beat(at: str) -> None:
    notifications.heartbeat(at)


@DBOS.workflow()
def heartbeat(scheduled_time: datetime, context: Any) -> None:  # 3.x schedule signature
    beat(scheduled_time.isoformat())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    config: DBOSConfig = {
        "name": "shop",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    # Between DBOS(...) and launch(): a datasource made after a previous lifetime's launch (even after
    # DBOS.destroy()) raises "Datasources must be created before DBOS.launch()".
    ds = SQLAlchemyDatasource.create(os.environ.get("APP_DATABASE_URL", "sqlite:///shop_app.sqlite"))
    with ds.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, total INTEGER)"))
    _app_db["shop"] = ds
    DBOS.launch()
    await DBOS.register_queue_async(EMAILS, global_concurrency=2, polling_interval_sec=0.2)
    await DBOS.apply_schedules_async(
        [{"schedule_name": "heartbeat", "workflow_fn": heartbeat, "schedule": "* * * * * *"}]
    )
    yield
    DBOS.destroy()
    ds.engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/orders/{order_id}")
def create_order(order_id: str, total: int) -> dict[str, str]:
    with SetWorkflowID(f"order-{order_id}"):
        return {"order_id": place_order(order_id, total)}


@app.get("/orders/{order_id}")
def get_order(order_id: str) -> dict[str, Any]:
    with _ds().engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id, total FROM orders WHERE id = :id"), {"id": order_id}).first()
    if row is None:
        raise HTTPException(status_code=404)
    return {"order_id": row[0], "total": row[1]}
