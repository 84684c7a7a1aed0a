"""Child process for the crash test: launch the app and check out one order (the test kills it)."""

from __future__ import annotations

import sys

import payments

if __name__ == "__main__":
    payments.launch_app()
    payments.checkout(sys.argv[1], int(sys.argv[2]))
