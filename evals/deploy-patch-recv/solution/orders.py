"""Order fulfillment: validate, wait for a manager's approval, ship. Every deploy keeps application_version."""

from __future__ import annotations

import os

import shop
from dbos import DBOS, DBOSConfig, SetWorkflowID


@DBOS.step()
def validate(order_id: str) -> None:
    shop.log("validate", order_id)


@DBOS.step()
def screen(order_id: str) -> int:
    return shop.fraud_score(order_id)


@DBOS.step()
def ship(order_id: str) -> None:
    shop.log("ship", order_id)


@DBOS.workflow()
def fulfill(order_id: str) -> str:
    # The patch goes where orders started before the deploy have a recorded step (validate). Placed just
    # before the recv, it would find nothing recorded for a parked order (a waiting recv records only its
    # timeout, one position later), take the new branch, and replay into DBOSUnexpectedStepError.
    screened = DBOS.patch("fraud-screen")
    validate(order_id)
    if screened and screen(order_id) >= 90:
        return "blocked"
    decision = DBOS.recv("approval", timeout_seconds=3600)
    if decision != "approve":
        return "rejected"
    ship(order_id)
    return "shipped"


def submit(order_id: str) -> str:
    with SetWorkflowID(f"order-{order_id}"):
        return DBOS.start_workflow(fulfill, order_id).workflow_id


def approve(order_id: str) -> None:
    DBOS.send(f"order-{order_id}", "approve", "approval")


def launch_app() -> None:
    config: DBOSConfig = {
        "name": "orders",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
        "application_version": "orders-prod",  # fixed across deploys: in-flight orders always recover
    }
    DBOS(config=config)
    DBOS.launch()
