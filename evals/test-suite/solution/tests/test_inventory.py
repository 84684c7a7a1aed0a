"""The restocking app's guarantees, against real DBOS: once per restock ID, and exactly-once buying across a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import inventory
import supplier
from dbos import DBOS

APP_DIR = Path(inventory.__file__).resolve().parent


def buys(sku: str) -> int:
    return sum(1 for c in supplier.calls() if c["call"] == "order" and c["sku"] == sku)


def test_same_restock_id_buys_once(app: None) -> None:
    first = inventory.request_restock("r-1", "bolts", 10)
    again = inventory.request_restock("r-1", "bolts", 10)
    assert first == again
    assert buys("bolts") == 1


def test_killed_restock_completes_after_restart_without_buying_again(empty_db: None, tmp_path: Path) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    child = subprocess.Popen(
        [sys.executable, "inventory.py", "r-2", "nuts", "5"],
        cwd=APP_DIR,
        env={**os.environ, "SUPPLIER_HOLD_FILE": str(hold)},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any(c["call"] == "add_stock" for c in supplier.calls()):
            assert child.poll() is None, "the app exited early"
            assert time.monotonic() < deadline, "the app never reached add_stock"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # a crash mid-step: no cleanup runs
        child.wait()
    hold.unlink()

    inventory.start()  # the restart recovers the restock
    handle = DBOS.retrieve_workflow("restock-r-2")
    assert handle.get_result() == "po-nuts-5"
    assert buys("nuts") == 1
    stocked = [c for c in supplier.calls() if c["call"] == "add_stock"]
    assert [c["pid"] for c in stocked] == [child.pid, os.getpid()]  # interrupted, then re-run once
