"""The schedule across restarts, and backfills that overlap each other."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest


@pytest.fixture
def reports(tmp_path, monkeypatch):
    path = tmp_path / "reports.jsonl"
    monkeypatch.setenv("SALES_REPORTS", str(path))

    def read():
        lines = path.read_text().splitlines() if path.exists() else []
        return sorted(datetime.fromisoformat(json.loads(line)["hour"]).astimezone(timezone.utc) for line in lines)

    return read


def _utc(day, hour, minute=0):
    return datetime(2024, 3, day, hour, minute, tzinfo=timezone.utc)


def test_restarts_keep_exactly_one_hourly_schedule(database_url, load):
    from dbos import DBOS

    reports = load("reports")
    for _ in range(2):  # a process start, then a restart
        reports.launch_app()
        schedules = DBOS.list_schedules()
        assert [s["schedule_name"] for s in schedules] == ["hourly-sales"]
        assert schedules[0]["schedule"] in ("0 * * * *", "0 0 * * * *")
        DBOS.destroy()


def test_backfill_runs_each_missed_hour_once(database_url, load, reports):
    app = load("reports")
    app.launch_app()
    app.backfill(_utc(1, 0, 30), _utc(1, 4, 30))
    assert reports() == [_utc(1, h) for h in (1, 2, 3, 4)]
    app.backfill(_utc(1, 2, 30), _utc(1, 6, 30))  # 3:00 and 4:00 already ran
    app.backfill(_utc(1, 0, 0), _utc(1, 7, 0))  # 7:00 is not strictly inside
    assert reports() == [_utc(1, h) for h in (1, 2, 3, 4, 5, 6)]
