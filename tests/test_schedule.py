"""Longest-first start order from remembered durations; the cache file is a hint that never breaks a check."""

from __future__ import annotations

import json
from pathlib import Path

from skilltools import examples, load_skill, schedule
from test_examples_checker import make_skill


def test_never_measured_first_then_longest_first() -> None:
    keys = ["a", "b", "c", "d", "e"]
    known = {"a": 1.0, "b": 30.0, "d": 5.0}
    assert schedule.longest_first(keys, known) == [2, 4, 1, 3, 0]
    assert schedule.longest_first(keys, {}) == [0, 1, 2, 3, 4]


def test_keys_tell_sources_and_databases_apart() -> None:
    assert schedule.run_key("x = 1", "sqlite") != schedule.run_key("x = 2", "sqlite")
    assert schedule.run_key("x = 1", "sqlite") != schedule.run_key("x = 1", "postgres")
    assert schedule.run_key("x = 1", "sqlite") == schedule.run_key("x = 1", "sqlite")


def test_save_merges_with_what_is_on_disk_and_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "durations.json"
    schedule.save(path, {"a": 1.23456, "b": 2.0})
    schedule.save(path, {"b": 3.0, "c": 4.0})
    assert schedule.load(path) == {"a": 1.235, "b": 3.0, "c": 4.0}
    assert [p.name for p in path.parent.iterdir()] == ["durations.json"]  # no temp file left behind


def test_a_bad_cache_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    for bad in ("{not json", "[1, 2]", '{"a": "slow", "b": 2}', "\udcff"):
        path.write_text(bad, encoding="utf-8", errors="surrogateescape")
        assert schedule.load(path) in ({}, {"b": 2.0})
    schedule.save(path, {"c": 1.0})
    assert json.loads(path.read_text()) == {"c": 1.0}  # the unreadable file was replaced
    assert schedule.load(None) == {} and schedule.load(tmp_path / "missing.json") == {}


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    schedule.save(blocker / "durations.json", {"a": 1.0})  # its folder cannot be made: no error
    assert blocker.read_text() == ""


def test_the_checker_starts_the_longest_known_run_first_and_records_durations(tmp_path: Path) -> None:
    skill = load_skill(make_skill(tmp_path, ["pass", "failure", "expected_exception"]))
    programs = examples.plan(skill)
    durations = tmp_path / "durations.json"
    settings = examples.Settings(jobs=1, gate=False, durations_file=durations)
    started: list[str] = []
    first = examples.check(skill, programs, settings, progress=lambda d, t, o: started.append(str(o.program)))
    recorded = schedule.load(durations)
    assert set(recorded) == {schedule.run_key(p.source, "sqlite") for p in programs}
    assert started == [str(p) for p in programs]  # nothing known: plan order
    assert [str(o.program) for o in first.outcomes] == started

    last = programs[-1]
    durations.write_text(json.dumps(recorded | {schedule.run_key(last.source, "sqlite"): 99.0}))
    started.clear()
    second = examples.check(skill, programs, settings, progress=lambda d, t, o: started.append(str(o.program)))
    assert started[0] == str(last)  # the longest known run starts first (one job: it also ends first)
    assert [str(o.program) for o in second.outcomes] == [str(p) for p in programs]  # the report keeps plan order
