"""Shop service, written for DBOS 2.x. Run with: uvicorn shop:app"""

import os
from datetime import datetime

import notifications
import sqlalchemy as sa
from dbos import DBOS, Queue, SetWorkflowID
from fastapi import FastAPI, HTTPException

app = FastAPI()
DBOS(
    fastapi=app,
    config={
        "name": "shop",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
        "application_database_url": os.environ.get("APP_DATABASE_URL"),
    },
)
email_queue = Queue("emails", concurrency=2)


@DBOS.transaction()
def create_tables() -> None:
    DBOS.sql_session.execute(sa.text("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, total INTEGER)"))


@DBOS.transaction()
def insert_order(order_id: str, total: int) -> None:
    DBOS.sql_session.execute(
        sa.text("INSERT INTO orders (id, total) VALUES (:id, :total)"), {"id": order_id, "total": total}
    )


@DBOS.transaction()
def read_order(order_id: str) -> dict | None:
    row = DBOS.sql_session.execute(sa.text("SELECT id, total FROM orders WHERE id = :id"), {"id": order_id}).first()
    return None if row is None else {"order_id": row[0], "total": row[1]}


@DBOS.step()
def send_confirmation(order_id: str) -> None:
    notifications.send_confirmation(order_id)


@DBOS.workflow()
def confirm_order(order_id: str) -> None:
    send_confirmation(order_id)


@DBOS.workflow()
def place_order(order_id: str, total: int) -> str:
    insert_order(order_id, total)
    email_queue.enqueue(confirm_order, order_id)
    return order_id


@DBOS.step()
def beat(at: str) -> None:
    notifications.heartbeat(at)


@DBOS.scheduled("* * * * * *")  # every second
@DBOS.workflow()
def heartbeat(scheduled_time: datetime, actual_time: datetime) -> None:
    beat(scheduled_time.isoformat())


@app.on_event("startup")
def startup() -> None:
    create_tables()


@app.post("/orders/{order_id}")
def create_order(order_id: str, total: int) -> dict:
    with SetWorkflowID(f"order-{order_id}"):
        return {"order_id": place_order(order_id, total)}


@app.get("/orders/{order_id}")
def get_order(order_id: str) -> dict:
    order = read_order(order_id)
    if order is None:
        raise HTTPException(status_code=404)
    return order
