"""What README.md promises a newcomer, checked against the code: the validator table lists the registry's ids,
ruff accepts the linter's `# noqa: DBOS...` comments, `make build` installs pre-commit, `--keep` says where,
and the long runs (checker benchmark, thorough fuzzing) print progress."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_progress import FuzzCounter
from skilltools.rules import RULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


REPO = Path(__file__).resolve().parent.parent
TABLE_IDS = re.compile("SKL(\\d{3})(?:\u2013(\\d{3}))?")  # an en dash between the ids of a range


def documented_rule_ids(readme: str) -> set[str]:
    """Ids of the "What the validator enforces" table, ranges (SKL501-504 with an en dash) expanded."""
    section = readme.split("### What the validator enforces", 1)[1].split("\n### ", 1)[0]
    ids: set[str] = set()
    for row in section.splitlines():
        if not row.startswith("| SKL"):
            continue
        for first, last in TABLE_IDS.findall(row.split("|")[1]):
            ids.update(f"SKL{n:03d}" for n in range(int(first), int(last or first) + 1))
    return ids


def implemented_rule_ids() -> set[str]:
    """The validator's ids, from the rule registry every problem is created through."""
    return {rule_id for rule_id in RULES if rule_id.startswith("SKL")}


def test_validator_table_lists_exactly_the_implemented_ids() -> None:
    documented = documented_rule_ids((REPO / "README.md").read_text("utf-8"))
    implemented = implemented_rule_ids()
    assert documented == implemented, (
        f"README.md table lists ids the validator lacks: {sorted(documented - implemented)}; "
        f"misses ids it has: {sorted(implemented - documented)}"
    )


def test_table_ranges_expand() -> None:
    readme = "### What the validator enforces\n\n| ids | rule |\n|---|---|\n| SKL501\u2013504, SKL506 | x |\n### Next\n"
    assert documented_rule_ids(readme) == {"SKL501", "SKL502", "SKL503", "SKL504", "SKL506"}


def test_ruff_accepts_the_linters_noqa_codes() -> None:
    """`# noqa: DBOS201` silences the shipped linter; this repository's ruff must not call it RUF102."""
    probe = "import os\n\nSEP = os.sep  # noqa: DBOS201\n"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--stdin-filename", "examples/noqa_probe.py", "-"],
        cwd=REPO,
        input=probe,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_make_build_installs_pre_commit() -> None:
    """README.md tells maintainers to run `.venv/bin/pre-commit install`: the dev extra must provide it."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    assert any(re.match(r"pre-commit\b", requirement) for requirement in dev)
    assert "-e '.[dev]'" in (REPO / "Makefile").read_text()


def test_check_examples_keep_says_where(valid_skill: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from skilltools.cli import main

    assert main(["check-examples", str(valid_skill), "--keep", "--db", "sqlite", "--cold"]) == 0
    err = capsys.readouterr().err
    match = re.search(r"NOTE: kept every run's folder \(script, output, result\) under (\S+)", err)
    assert match, err
    kept = Path(match.group(1))
    try:
        assert any(kept.rglob("*.py")), f"{kept} holds no script"
    finally:
        shutil.rmtree(kept, ignore_errors=True)


def test_a_long_fuzzing_hunt_prints_progress() -> None:
    lines: list[str] = []
    counter = FuzzCounter(500, 3000, lines.append)
    for _ in range(1200):
        counter["validate"] += 1
    counter["lint"] += 1
    assert lines == ["fuzz: validate 500/3000 cases", "fuzz: validate 1000/3000 cases"]
    assert counter == {"validate": 1200, "lint": 1}
    quiet = FuzzCounter(0, 150, lines.append)
    quiet["x"] += 500
    assert len(lines) == 2


def test_the_checker_benchmark_prints_progress(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_check_examples", REPO / "bench" / "check_examples.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for done in range(1, 41):
        bench.progress("naive skill examples", done, 40)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "  naive skill examples: 2/40" and lines[-1] == "  naive skill examples: 40/40"
    assert len(lines) == 20


def test_a_test_run_that_writes_into_a_clean_tree_fails(pytester: pytest.Pytester) -> None:
    pytester.makeconftest((REPO / "conftest.py").read_text())
    pytester.makepyfile(test_writes="def test_it():\n    open('stray_effects.jsonl', 'w').close()\n")
    (pytester.path / ".gitignore").write_text("__pycache__/\nrunpytest-*\nstdout\nstderr\n")  # pytester's own files
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "initial"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *command], check=True)
    assert subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout == ""
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*changed the work tree (FAILED: the tree was clean before)*", "?? stray_effects.jsonl"]
    )
    (pytester.path / "stray_effects.jsonl").unlink()
    (pytester.path / "already_dirty.txt").write_text("")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*the tree was already dirty, so only a warning*"])
