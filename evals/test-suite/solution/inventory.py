"""Restocking: buy from the supplier, then add the goods to stock. The app configures and launches DBOS itself.

python inventory.py <restock_id> <sku> <quantity>
"""

from __future__ import annotations

import os
import sys

import supplier
from dbos import DBOS, DBOSConfig, SetWorkflowID


@DBOS.step()
def buy(sku: str, quantity: int) -> str:
    return supplier.order(sku, quantity)


@DBOS.step()
def stock(sku: str, quantity: int) -> None:
    supplier.add_stock(sku, quantity)


@DBOS.workflow()
def restock(sku: str, quantity: int) -> str:
    purchase_order = buy(sku, quantity)
    stock(sku, quantity)
    return purchase_order


def request_restock(restock_id: str, sku: str, quantity: int) -> str:
    """Restock once per restock_id, however often it is requested."""
    with SetWorkflowID(f"restock-{restock_id}"):
        return restock(sku, quantity)


def start() -> None:
    config: DBOSConfig = {
        "name": "inventory",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()


if __name__ == "__main__":
    start()
    print(request_restock(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    DBOS.destroy()
