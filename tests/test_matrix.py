"""The version matrix: release selection, `before=` judging, evidence → ranges, and the drift watch (run for
real against a fake "newer" release whose venv is this interpreter)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from skilltools import cli, compat, matrix, matrix_cmd, venvs
from skilltools.compat import FileVerdict
from skilltools.matrix import BlockResult, VersionRun
from skilltools.parse import load_skill

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


def test_default_versions_are_the_newest_major_and_the_last_release_before_it() -> None:
    released = venvs.sorted_versions(["3.4.0", "3.3.0", "3.0.0", "2.31.1", "2.31.0", "1.14.0", "3.5.0rc1", "junk"])
    assert released == ["3.4.0", "3.3.0", "3.0.0", "2.31.1", "2.31.0", "1.14.0"]
    assert venvs.default_versions(released) == ["2.31.1", "3.0.0", "3.3.0", "3.4.0"]


def test_example_requirements_pin_dbos_and_leave_out_maintainer_tools() -> None:
    requirements = venvs.example_requirements(REPO, "3.1.0")
    assert requirements[0] == "dbos[otel]==3.1.0"
    names = " ".join(requirements[1:])
    assert "dbos" not in names and "mypy" not in names and "ruff" not in names
    assert any(r.startswith("fastapi") for r in requirements)


@pytest.mark.parametrize(
    ("version", "exit_code", "passed"),
    [("2.31.1", 0, True), ("2.31.1", 1, False), ("3.4.0", 0, False)],
)
def test_a_before_block_must_run_clean_inside_its_range_and_fail_as_expected_outside(
    version: str, exit_code: int, passed: bool
) -> None:
    raw = {"path": "references/a.md", "line": 5, "database": "sqlite", "passed": False, "exit_code": exit_code}
    raw |= {"exception": None if exit_code == 0 else "AttributeError", "headline": "expected AttributeError"}
    result = matrix.rejudge(raw, version, compat.before_range({"before": "<3"}))
    assert result.passed is passed


def _evidence(verdicts: dict[str, bool]) -> compat.Evidence:
    files = {
        "references/a.md": {v: FileVerdict(ok, None if ok else "references/a.md:9 boom") for v, ok in verdicts.items()}
    }
    return compat.Evidence(list(verdicts), ["sqlite"], files, {}, {})


@pytest.mark.parametrize(
    ("claimed", "problem"),
    [
        (">=3.0,<4", None),
        (">=3.4,<4", "use '>=3.0,<4'"),
        (">=2.31.1,<4", "includes 2.31.1, where it fails"),
        (">=3.0,<5", "use '>=3.0,<4'"),
        ("three", "is not a version specifier"),
    ],
)
def test_a_claimed_range_must_be_what_the_matrix_measured(claimed: str, problem: str | None) -> None:
    evidence = _evidence({"2.31.1": False, "3.0.0": True, "3.4.0": True})
    assert evidence.supported_range("references/a.md") == ">=3.0,<4"
    found = compat.range_problem(evidence, "references/a.md", claimed)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_a_gap_keeps_only_the_unbroken_run_that_ends_at_the_newest_release() -> None:
    evidence = _evidence({"2.31.1": True, "3.0.0": False, "3.3.0": True, "3.4.0": True})
    assert evidence.supported_range("references/a.md") == ">=3.3,<4"
    assert _evidence({"3.3.0": True, "3.4.0": False}).supported_range("references/a.md") is None


def test_a_file_without_evidence_is_a_problem() -> None:
    problem = compat.range_problem(_evidence({"3.4.0": True}), "references/other.md", ">=3.4,<4")
    assert problem is not None and "no matrix result" in problem


def test_matrix_folds_blocks_into_files_and_renders_the_first_failure() -> None:
    skill = load_skill(FIXTURES / "matrix")
    ok = VersionRun("3.4.0", (BlockResult("SKILL.md", 8, "sqlite", True, "passed"),))
    bad = VersionRun("3.3.0", (BlockResult("SKILL.md", 8, "sqlite", False, "failed: AssertionError"),))
    broken = VersionRun("3.0.0", error="creating the venv for dbos 3.0.0 failed")
    result = matrix.build(skill, [broken, bad, ok], ["sqlite"])
    assert result.verdicts["SKILL.md"]["3.4.0"].passed
    assert result.verdicts["SKILL.md"]["3.3.0"].first_failure == "SKILL.md:8 [sqlite] failed: AssertionError"
    assert "creating the venv" in (result.verdicts["SKILL.md"]["3.0.0"].first_failure or "")
    assert not result.verdicts["references/drift.md"]["3.4.0"].passed  # no result at all is not a pass
    evidence = compat.load_text(compat.to_json(result, skill))
    table = compat.to_markdown(evidence)
    assert "| SKILL.md | `>=3.4,<4` | fails: creating the venv" in table
    assert table.splitlines()[7] == "| file | range | 3.0.0 | 3.3.0 | 3.4.0 |"


def _fake_release(cache: Path, version: str) -> None:
    """A "venv" for `version` that is really this interpreter (dbos 3.4.0): the drift watch runs for real."""
    bin_dir = cache / f"dbos-{version}" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    (cache / f"dbos-{version}" / venvs.READY).write_text(version)


def test_drift_watch_runs_a_newer_release_and_reports_what_broke_vanished_and_is_untaught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    skill = tmp_path / "skill"
    shutil.copytree(FIXTURES / "matrix", skill)
    recorded = {
        "versions": ["3.4.0"],
        "databases": ["sqlite"],
        "files": {p: {"3.4.0": {"passed": True, "first_failure": None}} for p in ["SKILL.md", "references/drift.md"]},
    }
    (skill / "docs").mkdir()
    (skill / "docs" / "compat.json").write_text(json.dumps(recorded))
    monkeypatch.setenv("SKILL_MATRIX_CACHE", str(tmp_path / "cache"))
    _fake_release(tmp_path / "cache", "9.0.0")

    code = matrix_cmd.drift_watch(skill, ["sqlite"], 2, tmp_path / "log", "9.0.0")
    out = capsys.readouterr().out
    assert code == 1
    assert "BROKE references/drift.md:5 [sqlite]" in out
    assert "SKILL.md:8" not in out  # still passes
    assert "VANISHED references/drift.md:" in out and "scheduled" in out
    assert "UNTAUGHT DBOS.register_queue" in out

    assert matrix_cmd.drift_watch(skill, ["sqlite"], 2, tmp_path / "log", "3.4.0") == 0
    assert "is not newer than 3.4.0" in capsys.readouterr().out


def test_the_weekly_drift_workflow_runs_the_drift_watch() -> None:
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "drift.yml").read_text())
    triggers = workflow[True]  # PyYAML reads the bare key `on` as True
    assert triggers["schedule"][0]["cron"].split()[4] != "*"  # weekly: a fixed day of the week
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["drift"]["steps"])
    assert "skilltools matrix --newest" in steps


def test_update_ranges_rewrites_only_the_dbos_line_of_files_whose_claim_differs(valid_skill: Path) -> None:
    ref = valid_skill / "references" / "alpha-one.md"
    ref.write_text(ref.read_text().replace("tags: [alpha, first]\n", 'tags: [alpha, first]\ndbos: ">=3.0,<4"\n'))
    evidence = compat.Evidence(
        ["3.3.0", "3.4.0"],
        ["sqlite"],
        {"references/alpha-one.md": {"3.3.0": FileVerdict(False, "x"), "3.4.0": FileVerdict(True)}},
        {},
        {},
    )
    changed = compat.update_ranges(load_skill(valid_skill), evidence)
    assert list(changed) == ["references/alpha-one.md"]
    old, new = ref.read_text().split("\n"), changed["references/alpha-one.md"].split("\n")
    assert [(a, b) for a, b in zip(old, new, strict=True) if a != b] == [('dbos: ">=3.0,<4"', 'dbos: ">=3.4,<4"')]


@pytest.mark.parametrize(("versions", "message"), [("3.4.0,3.5.0", "checks one release"), ("3.x", "not a version")])
def test_newest_takes_exactly_one_valid_release(
    versions: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["matrix", str(tmp_path), "--newest", "--versions", versions, "--log", str(tmp_path / "log")])
    assert code == 1
    err = capsys.readouterr().err
    assert "error: --" in err and message in err
