"""The release in production before the change: submit orders and wait (the test kills this process)."""

from __future__ import annotations

import sys
import threading

import orders  # acceptance/v1/orders.py: the release before the change

if __name__ == "__main__":
    orders.launch_app()
    for order_id in sys.argv[1:]:
        orders.submit(order_id)
    threading.Event().wait()
