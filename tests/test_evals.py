"""`skilltools eval` with scripted agents on the fixture scenarios (tests/fixtures/evals/, same contract as evals/)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from skilltools import evals
from skilltools.cli import main
from skilltools.procgroup import ProcessGroups, Stopped

REPO = Path(__file__).resolve().parent.parent
EVALS = REPO / "tests" / "fixtures" / "evals"
AGENT = f"{shlex.quote(sys.executable)} {shlex.quote(str(EVALS / 'scripted_agent.py'))}"


def agent(mode: str, *extra: str) -> str:
    placeholders = "{scenario} {workdir} {prompt} {prompt_file}"
    return f"{AGENT} {mode} {shlex.quote(str(EVALS))} {placeholders} {' '.join(extra)}"


def run(
    mode: str, *extra: str, modes: tuple[evals.Mode, ...] = ("with",), pattern: str | None = None, **kw: object
) -> dict[str, evals.Run]:
    settings = evals.Settings(agent(mode, *extra), modes, jobs=2, **kw)  # type: ignore[arg-type]
    runs = evals.run_all(evals.discover(EVALS, pattern), settings, skill_dir=REPO / "references")
    return {r.scenario: r for r in runs}


def test_solution_agent_passes_every_test_and_writes_json_and_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "runs.json"
    monkeypatch.chdir(REPO)  # relative paths, as a user types them from the checkout
    evals_dir = str(EVALS.relative_to(REPO))
    code = main(["eval", "--evals", evals_dir, "--agent", agent("solution"), "--jobs", "2", "--json", str(out)])
    table = capsys.readouterr().out
    assert code == 0, table
    data = json.loads(out.read_text())
    assert [(r["scenario"], r["mode"], r["passed"], r["agent_exit"]) for r in data["runs"]] == [
        ("greet", "with", True, 0),
        ("tally", "with", True, 0),
    ]
    assert [t["outcome"] for t in data["runs"][0]["tests"]] == ["passed", "passed"]
    lines = (REPO / "SKILL.md").read_text().count("\n")
    assert [(r["skill_read"], r["skill_lines_read"]) for r in data["runs"]] == [(["SKILL.md"], lines)] * 2
    assert f", read {lines} lines |" in table
    assert "| greet | **pass** 2/2 | exit 0," in table
    assert "with skill: 2/2 passed" in table


def test_agent_that_does_nothing_fails_every_test() -> None:
    runs = run("nothing", modes=("without",))
    assert {name: (r.mode, r.agent_exit, r.passed) for name, r in runs.items()} == {
        "greet": ("without", 0, False),
        "tally": ("without", 0, False),
    }
    for r in runs.values():
        assert r.tests and {t.outcome for t in r.tests} <= {"failed", "error"}, r.log_tail
        assert (r.skill_read, r.skill_lines_read) == ((), None)  # no skill, nothing to measure


def test_mutant_fails_its_scenario_only() -> None:
    runs = run("mutant", "greet")
    assert (runs["greet"].passed, runs["greet"].score, runs["tally"].passed) == (False, "0/2", True)
    assert [t.outcome for t in runs["greet"].tests] == ["failed", "failed"]
    assert (runs["greet"].skill_read, runs["greet"].skill_lines_read) == ((), 0)  # had the skill, read none of it


def test_time_limit_kills_the_agent_and_its_children() -> None:
    runs = run("hang", pattern="tally", timeout=2.0, keep=True)
    hung = runs["tally"]
    run_dir = Path(hung.workspace).parent
    try:
        assert hung.timed_out and hung.agent_seconds < 30 and not hung.passed
        assert not _alive(int((run_dir / "child.pid").read_text()))
    finally:
        shutil.rmtree(run_dir.parent)  # kept (keep=True) to read child.pid


def test_workspace_gets_the_skill_where_agents_look(tmp_path: Path) -> None:
    [greet, _] = evals.discover(EVALS)
    skill = tmp_path / "dbos-python"
    (skill / "references").mkdir(parents=True)
    (skill / "SKILL.md").write_text("skill")
    work = evals.prepare(greet, tmp_path / "with", skill)
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("SKILL.md")) == [
        ".agents/skills/dbos-python/SKILL.md",
        ".claude/skills/dbos-python/SKILL.md",
    ]
    bare = evals.prepare(greet, tmp_path / "without", None)
    assert list(bare.iterdir()) == []  # the starter's .gitkeep is left out
    assert (tmp_path / "without" / "prompt.md").read_text() == greet.prompt_file.read_text()


def test_placeholders_are_shell_quoted() -> None:
    values = {"prompt": 'it\'s "$HOME" `x`', "prompt_file": "/p f", "workdir": "/w", "scenario": "s"}
    assert evals.expand("a {prompt} {prompt_file} {workdir} {scenario} {other}", values) == (
        "a 'it'\"'\"'s \"$HOME\" `x`' '/p f' /w s {other}"
    )


def test_side_by_side_table_when_both_modes_ran() -> None:
    def one(mode: evals.Mode, ok: bool) -> evals.Run:
        tests = (evals.TestResult("t.py::a", "passed" if ok else "failed"),)
        return evals.Run("pay", mode, 0, 12.0, tests, 3.0, 0 if ok else 1)

    table = evals.render_markdown([one("with", True), one("without", False)])
    assert table.splitlines()[2] == "| pay | **pass** 1/1 | exit 0, 12 s | 3 s | fail 0/1 | exit 0, 12 s | 3 s |"
    assert table.endswith("with skill: 1/1 passed; without skill: 0/1 passed")


def test_broken_scenario_folder_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "half" / "acceptance").mkdir(parents=True)
    assert main(["eval", str(REPO), "--evals", str(tmp_path), "--agent", "true"]) == 1
    assert "half: missing prompt.md, starter/, acceptance/test_*.py" in capsys.readouterr().err


def test_stop_kills_running_groups_and_refuses_new_ones(tmp_path: Path) -> None:
    groups = ProcessGroups()
    result: list[tuple[int | None, float]] = []
    worker = threading.Thread(
        target=lambda: result.append(groups.run(["sleep", "60"], tmp_path, 120, tmp_path / "log"))
    )
    worker.start()
    deadline = time.monotonic() + 20
    while groups.running == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    groups.stop()  # what run_all does on Ctrl-C
    worker.join(20)
    assert not worker.is_alive() and result[0][0] == -signal.SIGKILL
    with pytest.raises(Stopped):
        groups.run(["true"], tmp_path, 10, tmp_path / "log")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"  # a zombie is dead
