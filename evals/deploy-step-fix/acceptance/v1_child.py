"""The release in production before the fix: start one invoice and get stuck in reserve_stock (then killed)."""

from __future__ import annotations

import sys
import threading

import billing  # acceptance/v1/billing.py: the buggy release

if __name__ == "__main__":
    billing.launch_app()
    billing.start_invoice(sys.argv[1], int(sys.argv[2]))
    threading.Event().wait()
