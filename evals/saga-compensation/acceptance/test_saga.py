"""The saga through book_trip; travel_api logs every reserve and cancel call per trip."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def api(tmp_path, monkeypatch, load):
    monkeypatch.setenv("TRAVEL_LOG", str(tmp_path / "travel.jsonl"))
    monkeypatch.setenv("DBOS__APPVERSION", "eval-pinned")  # the crashed process and its restart agree
    monkeypatch.delenv("TRAVEL_FLAKY", raising=False)
    return load("travel_api")


def test_booked(database_url, load, api):
    trips = load("trips")
    trips.launch_app()
    assert trips.book_trip("t1", "Paris") == "booked"
    assert api.calls("t1") == [("reserve", "flight"), ("reserve", "hotel"), ("reserve", "car")]


def test_sold_out_cancels_what_was_reserved_most_recent_first(database_url, load, api):
    trips = load("trips")
    trips.launch_app()
    assert trips.book_trip("t2", "Atlantis") == "cancelled"
    assert api.calls("t2") == [
        ("reserve", "flight"),
        ("reserve", "hotel"),
        ("reserve", "car"),  # sold out: asked once, never cancelled
        ("cancel", "hotel"),
        ("cancel", "flight"),
    ]
    assert trips.book_trip("t3", "Eldorado") == "cancelled"
    assert api.calls("t3") == [("reserve", "flight"), ("reserve", "hotel"), ("cancel", "flight")]


def test_unavailable_is_retried(database_url, load, api, monkeypatch):
    monkeypatch.setenv("TRAVEL_FLAKY", "hotel:2")
    trips = load("trips")
    trips.launch_app()
    assert trips.book_trip("t4", "Paris") == "booked"
    assert api.calls("t4") == [("reserve", "flight")] + [("reserve", "hotel")] * 3 + [("reserve", "car")]


def test_killed_while_cancelling_finishes_the_cancellation_after_restart(database_url, load, api, procs, tmp_path):
    hold = tmp_path / "hold"
    hold.touch()  # the first cancel() stalls until the file is gone
    child = procs.spawn(
        "booking", [str(HERE / "cancel_child.py"), "trip-t5", "t5", "Atlantis"], env={"TRAVEL_HOLD_FILE": str(hold)}
    )
    procs.wait_until("the first cancellation to start", lambda: ("cancel", "hotel") in api.calls("t5"), watch=[child])
    procs.kill(child)
    hold.unlink()

    trips = load("trips")
    trips.launch_app()  # recovery resumes the cancellation

    from dbos import DBOS

    procs.wait_until("the recovered booking to end", lambda: DBOS.get_workflow_status("trip-t5").status != "PENDING")
    assert DBOS.retrieve_workflow("trip-t5").get_result() == "cancelled"
    calls = api.calls("t5")
    assert calls[:3] == [("reserve", "flight"), ("reserve", "hotel"), ("reserve", "car")]
    assert calls.count(("reserve", "flight")) == calls.count(("reserve", "hotel")) == 1, calls
    assert calls[-1] == ("cancel", "flight") and calls.count(("cancel", "flight")) == 1, calls
