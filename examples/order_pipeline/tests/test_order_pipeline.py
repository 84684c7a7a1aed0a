"""The order service under real crashes: uvicorn runs in its own process group and is SIGKILLed while
a step is half-way through. Side effects are counted in the effects log the steps append to."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from example_harness import PYTHON, Proc, Processes, free_port

APP_DIR = Path(__file__).resolve().parents[1]
ORDER = {"sku": "widget", "quantity": 2, "amount_cents": 1999, "email": "ada@example.com"}


@dataclass
class OrderService:
    """Starts (and restarts) the order server on one database, in one working directory."""

    procs: Processes
    system_db: str | None
    workdir: Path

    @property
    def effects_log(self) -> Path:
        return self.workdir / "effects.jsonl"

    @property
    def hold_dir(self) -> Path:
        return self.workdir / "hold"

    def start(self) -> tuple[Proc, str]:
        port = free_port()
        self.hold_dir.mkdir(exist_ok=True)
        proc = self.procs.spawn(
            "order-server",
            [
                PYTHON,
                "-m",
                "uvicorn",
                "order_app:app",
                "--app-dir",
                str(APP_DIR),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=self.workdir,
            env={
                "DBOS_SYSTEM_DATABASE_URL": self.system_db,  # None: SQLite file in ORDER_STATE_DIR
                "ORDER_STATE_DIR": str(self.workdir),
                "ORDER_EFFECTS_LOG": str(self.effects_log),
                "ORDER_HOLD_DIR": str(self.hold_dir),
            },
        )
        url = f"http://127.0.0.1:{port}"
        self.procs.wait_until("the server to answer /healthz", lambda: _healthy(url), timeout=90, watch=[proc])
        return proc, url

    def effects(self) -> list[dict[str, Any]]:
        if not self.effects_log.exists():
            return []
        return [json.loads(line) for line in self.effects_log.read_text().splitlines()]

    def count(self, order_id: str) -> Counter[str]:
        return Counter(f"{e['action']}:{e['phase']}" for e in self.effects() if e["order_id"] == order_id)

    def wait_for_stage(self, url: str, order_id: str, stage: str, watch: Proc) -> None:
        def reached() -> bool:
            response = httpx.get(f"{url}/orders/{order_id}", timeout=10)
            return response.status_code == 200 and response.json()["stage"] == stage

        self.procs.wait_until(f"{order_id} to reach stage {stage!r}", reached, timeout=60, watch=[watch])


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def post_order(url: str, key: str, order: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/orders", json=order, headers={"Idempotency-Key": key}, timeout=30)


def test_sigkill_mid_step_resumes_and_runs_finished_steps_once(
    system_db: str | None, procs: Processes, tmp_path: Path
) -> None:
    service = OrderService(procs, system_db, tmp_path)
    service.hold_dir.mkdir()
    hold = service.hold_dir / "reserve_inventory"
    hold.touch()  # the reservation will stop half-way until this file is gone
    first, url = service.start()

    response = post_order(url, "crash-1", ORDER)
    assert response.status_code == 202, response.text
    order_id = response.json()["order_id"]
    procs.wait_until(
        "the reservation step to start",
        lambda: service.count(order_id)["reserve:start"] == 1,
        watch=[first],
    )
    # The client retries while the order is in flight: same order, no second checkout.
    retry = post_order(url, "crash-1", ORDER)
    assert retry.status_code == 202 and retry.json()["order_id"] == order_id

    procs.kill(first)  # SIGKILL in the middle of reserve_inventory
    hold.unlink()
    second, url = service.start()  # DBOS.launch() recovers the unfinished checkout
    service.wait_for_stage(url, order_id, "completed", watch=second)

    assert service.count(order_id) == Counter(
        {
            "charge:start": 1,  # finished before the crash: checkpointed, not re-run
            "charge:done": 1,
            "reserve:start": 2,  # interrupted: re-run from its start after the restart
            "reserve:done": 1,
            "email:start": 1,
            "email:done": 1,
        }
    )
    reserve_pids = [e["pid"] for e in service.effects() if e["action"] == "reserve" and e["phase"] == "start"]
    assert reserve_pids == [first.pid, second.pid]

    # A retry after completion returns the same order and runs nothing again.
    late = post_order(url, "crash-1", ORDER)
    assert late.status_code == 202 and late.json()["order_id"] == order_id
    status = httpx.get(f"{url}/orders/{order_id}", timeout=10).json()
    assert status == {"order_id": order_id, "stage": "completed", "workflow_status": "SUCCESS"}
    assert sum(service.count(order_id).values()) == 7
    procs.stop(second)


def test_out_of_stock_is_compensated_and_key_reuse_is_refused(
    system_db: str | None, procs: Processes, tmp_path: Path
) -> None:
    service = OrderService(procs, system_db, tmp_path)
    server, url = service.start()

    response = post_order(url, "sold-out-1", {**ORDER, "sku": "unobtainium"})
    assert response.status_code == 202, response.text
    order_id = response.json()["order_id"]
    service.wait_for_stage(url, order_id, "refunded", watch=server)
    procs.wait_until(
        "the failed checkout to end",
        lambda: httpx.get(f"{url}/orders/{order_id}", timeout=10).json()["workflow_status"] == "ERROR",
        watch=[server],
    )
    assert service.count(order_id) == Counter(
        {
            "charge:start": 1,
            "charge:done": 1,
            "reserve:start": 1,
            "reserve:refused": 1,
            "refund:start": 1,
            "refund:done": 1,
        }
    )

    # The same idempotency key with a different body is a client bug: refuse it, start nothing.
    conflict = post_order(url, "sold-out-1", ORDER)
    assert conflict.status_code == 409
    assert sum(service.count(order_id).values()) == 6
    assert httpx.get(f"{url}/orders/order-unknown", timeout=10).status_code == 404
    procs.stop(server)


def test_stops_at_once_with_a_checkout_in_flight(procs: Processes, tmp_path: Path) -> None:
    """SIGTERM (or Ctrl-C) ends the server within seconds even while a step is busy: the checkout is durable
    and the next start resumes it. SQLite suffices: this is about the process, not the database."""
    service = OrderService(procs, None, tmp_path)
    service.hold_dir.mkdir()
    (service.hold_dir / "reserve_inventory").touch()
    server, url = service.start()
    order_id = post_order(url, "slow-1", ORDER).json()["order_id"]
    procs.wait_until("the reservation to start", lambda: service.count(order_id)["reserve:start"] == 1, watch=[server])
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.popen.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server still runs 10 s after SIGTERM with a checkout in flight\n{server.tail()}")
    assert "Application shutdown complete" in server.tail()
