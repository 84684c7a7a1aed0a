"""The report app runs in its own process; these tests drive it from the test process (and once from
the report_client CLI) through a DBOSClient, the way an operator or another service would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import report_app
import report_client
import sqlalchemy as sa
from dbos import DBOSClient
from example_harness import PYTHON, Proc, Processes

APP_DIR = Path(__file__).resolve().parents[1]
DAILY = "0 0 6 * * *"


@pytest.fixture
def db_url(pg_url: str) -> str:
    """The app and its clients are separate processes sharing one database, so: PostgreSQL."""
    return pg_url


@dataclass
class ReportApp:
    procs: Processes
    workdir: Path
    db_url: str
    connected: DBOSClient | None = None

    @property
    def client(self) -> DBOSClient:
        """A DBOSClient in this (the test) process. Made after the app's first launch, which creates
        the system database: a client never creates or migrates it."""
        if self.connected is None:
            self.connected = report_client.connect(self.db_url)
        return self.connected

    @property
    def effects_log(self) -> Path:
        return self.workdir / "effects.jsonl"

    def start(self, *, cron: str, settle: float, approval_timeout: float) -> Proc:
        proc = self.procs.spawn(
            "report-app",
            [PYTHON, str(APP_DIR / "report_app.py")],
            cwd=self.workdir,
            env={
                "DBOS_SYSTEM_DATABASE_URL": self.db_url,
                "REPORT_EFFECTS_LOG": str(self.effects_log),
                "REPORT_CRON": cron,
                "REPORT_SETTLE_SECONDS": str(settle),
                "REPORT_APPROVAL_TIMEOUT_SECONDS": str(approval_timeout),
            },
        )
        self.procs.wait_until(
            "the report app to be ready", lambda: "report app ready" in proc.tail(), timeout=90, watch=[proc]
        )
        return proc

    def effects(self, run_id: str) -> list[dict[str, Any]]:
        if not self.effects_log.exists():
            return []
        lines = [json.loads(line) for line in self.effects_log.read_text().splitlines()]
        return [e for e in lines if e["run_id"] == run_id]

    def actions(self, run_id: str) -> Counter[str]:
        return Counter(e["action"] for e in self.effects(run_id))

    def wait_status(self, run_id: str, wanted: str, watch: Proc, timeout: float = 60) -> None:
        self.procs.wait_until(
            f"{run_id} to reach {wanted!r}",
            lambda: report_client.status(self.client, run_id) == wanted,
            timeout=timeout,
            interval=0.2,
            watch=[watch],
        )


@pytest.fixture
def app(db_url: str, procs: Processes, tmp_path: Path) -> Iterator[ReportApp]:
    report = ReportApp(procs, tmp_path, db_url)
    try:
        yield report
    finally:
        if report.connected is not None:
            report.connected.destroy()


def test_client_names_match_the_app() -> None:
    for name in ("APP_NAME", "SCHEDULE_NAME", "APPROVAL_TOPIC", "STATUS_EVENT", "REPORT_EVENT"):
        assert getattr(report_client, name) == getattr(report_app, name), name


def test_cron_starts_runs_and_an_unanswered_run_expires(db_url: str, procs: Processes, app: ReportApp) -> None:
    proc = app.start(cron="* * * * * *", settle=0, approval_timeout=1)  # every second, for the test
    client = app.client

    first = procs.wait_until(
        "the first cron run",
        lambda: min((r.workflow_id for r in report_client.runs(client)), default=None),
        watch=[proc],
    )
    client.pause_schedule(report_client.SCHEDULE_NAME)
    assert first.startswith(f"sched-{report_client.SCHEDULE_NAME}-")
    app.wait_status(first, "expired", watch=proc)

    run = client.list_workflows(workflow_ids=[first])[0]
    assert run.input is not None
    scheduled_at, settings = run.input["args"]
    assert isinstance(scheduled_at, datetime) and scheduled_at.microsecond == 0  # a cron tick, not "now"
    assert settings == {"settle_seconds": 0.0, "approval_timeout_seconds": 1.0}
    assert app.actions(first) == Counter({"open": 1, "build": 1, "escalate": 1})
    procs.stop(proc)


def test_reviewer_in_another_process_approves_or_rejects(db_url: str, procs: Processes, app: ReportApp) -> None:
    proc = app.start(cron=DAILY, settle=0.5, approval_timeout=120)
    client = app.client

    approved, rejected = report_client.trigger(client), report_client.trigger(client)
    for run_id in (approved, rejected):
        app.wait_status(run_id, "awaiting_approval", watch=proc)
    assert report_client.report(client, approved)["day"] == time.strftime("%Y-%m-%d", time.gmtime())

    cli = procs.spawn(
        "report-client",
        [PYTHON, str(APP_DIR / "report_client.py"), "--db", db_url, "approve", approved, "--reviewer", "ada"],
        cwd=app.workdir,
    )
    assert cli.popen.wait(timeout=60) == 0, cli.tail()
    report_client.decide(client, rejected, approved=False, reviewer="bob")
    app.wait_status(approved, "published", watch=proc)
    app.wait_status(rejected, "rejected", watch=proc)

    assert app.actions(approved) == Counter({"open": 1, "build": 1, "publish": 1})
    assert app.actions(rejected) == Counter({"open": 1, "build": 1})
    # The CLI refuses a decision on a run that is no longer waiting for one.
    assert report_client.main(["--db", db_url, "reject", approved]) == 1
    procs.stop(proc)


def test_durable_sleep_survives_sigkill(db_url: str, procs: Processes, app: ReportApp) -> None:
    settle = 10.0
    first = app.start(cron=DAILY, settle=settle, approval_timeout=120)
    client = app.client

    run_id = report_client.trigger(client)
    app.wait_status(run_id, "settling", watch=first)
    opened_at: float = app.effects(run_id)[0]["at"]
    # Let a second of the sleep pass, so the crash lands in its middle.
    procs.wait_until("one second of the sleep to pass", lambda: time.time() > opened_at + 1.0)
    procs.kill(first)

    restarted_at = time.time()  # a sleep restarted from scratch could not end before restarted_at + settle
    second = app.start(cron=DAILY, settle=settle, approval_timeout=120)
    app.wait_status(run_id, "awaiting_approval", watch=second)
    built_at: float = next(e["at"] for e in app.effects(run_id) if e["action"] == "build")

    # Woke at the deadline set before the crash: not early, and not after a full new sleep.
    assert opened_at + settle - 0.05 <= built_at < restarted_at + settle
    report_client.decide(client, run_id, approved=True, reviewer="ada")
    app.wait_status(run_id, "published", watch=second)
    assert app.actions(run_id) == Counter({"open": 1, "build": 1, "publish": 1})
    assert [e["pid"] for e in app.effects(run_id)] == [first.pid, second.pid, second.pid]
    procs.stop(second)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_at_once_while_a_run_waits_for_approval(
    db_url: str, procs: Processes, app: ReportApp, stop_signal: signal.Signals
) -> None:
    """Ctrl-C or SIGTERM ends the app within seconds, although a run's recv() could wait for an hour; the run
    stays durable and still awaits its decision after a restart."""
    proc = app.start(cron=DAILY, settle=0, approval_timeout=3600)
    run_id = report_client.trigger(app.client)
    app.wait_status(run_id, "awaiting_approval", watch=proc)
    os.killpg(proc.pid, stop_signal)
    try:
        assert proc.popen.wait(timeout=10) == 0, proc.tail()
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 10 s after {stop_signal.name} with a run awaiting approval\n{proc.tail()}")
    again = app.start(cron=DAILY, settle=0, approval_timeout=3600)
    report_client.decide(app.client, run_id, approved=True, reviewer="ada")
    app.wait_status(run_id, "published", watch=again)
    procs.stop(again)


def test_client_says_the_app_is_not_ready_yet(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Before the app's first launch the database does not exist: one line, exit 1, no traceback."""
    missing = sa.make_url(db_url).set(database=f"{sa.make_url(db_url).database}_never_created")
    url = missing.render_as_string(hide_password=False)
    assert report_client.main(["--db", url, "--ready-seconds", "1", "trigger"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("the app is not ready yet (") and err.count("\n") == 1, err
