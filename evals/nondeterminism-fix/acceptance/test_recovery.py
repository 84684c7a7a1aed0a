"""Replays must see the same provider and token: after a SIGKILL mid-send, and when forked from the send step."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def mailer(tmp_path, monkeypatch, load):
    monkeypatch.setenv("MAILER_LOG", str(tmp_path / "mailer.jsonl"))
    monkeypatch.setenv("DBOS__APPVERSION", "eval-pinned")  # the crashed process and its restart agree
    return load("mailer")


def _wait(workflow_id, timeout=15.0):
    from dbos import DBOS

    deadline = time.monotonic() + timeout
    while (status := DBOS.get_workflow_status(workflow_id)) is None or status.status in ("PENDING", "ENQUEUED"):
        if time.monotonic() > deadline:
            pytest.fail(f"{workflow_id} did not finish in {timeout}s", pytrace=False)
        time.sleep(0.05)
    return DBOS.retrieve_workflow(workflow_id).get_result()


def _check_consistent(mailer, campaign_id, result):
    entries = mailer.entries(campaign_id)
    prepared = [(e["provider"], e["token"]) for e in entries if e["action"] == "prepare"]
    sent = [(e["provider"], e["token"]) for e in entries if e["action"] == "send"]
    assert len(prepared) == 1, f"prepared more than once: {prepared}"
    assert sent and set(sent) == set(prepared), f"prepared {prepared} but sent {sent}"
    assert result == "{}:{}".format(*prepared[0])


def test_campaign_killed_mid_send_finishes_as_prepared(database_url, load, mailer, procs, tmp_path):
    hold = tmp_path / "hold"
    hold.touch()
    child = procs.spawn("campaign", [str(HERE / "campaign_child.py"), "spring"], env={"MAILER_HOLD_FILE": str(hold)})
    procs.wait_until(
        "the send to start", lambda: any(e["action"] == "send" for e in mailer.entries("spring")), watch=[child]
    )
    procs.kill(child)
    hold.unlink()

    campaigns = load("campaigns")
    campaigns.launch_app()  # recovery resumes the campaign
    _check_consistent(mailer, "spring", _wait("campaign-spring"))


def test_replaying_a_sent_campaign_keeps_provider_and_token(database_url, load, mailer):
    from dbos import DBOS

    campaigns = load("campaigns")
    campaigns.launch_app()
    workflow_id = campaigns.start_campaign("summer")
    result = _wait(workflow_id)
    steps = DBOS.list_workflow_steps(workflow_id)
    send_step = next(s["function_id"] for s in steps if "send" in s["function_name"])
    for _ in range(3):  # re-run the send (e.g. after a provider outage): everything before it is replayed
        replay = DBOS.fork_workflow(workflow_id, start_step=send_step)
        assert replay.get_result() == result
    _check_consistent(mailer, "summer", result)
