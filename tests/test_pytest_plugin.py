"""The pytest plugin, driven by pytester in a subprocess on a small skill: ids, rendering, PostgreSQL modes."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
from skilltools import examples

FIXTURES = Path(__file__).parent / "fixtures" / "examples"
DOWN_URL = "postgresql://postgres@/postgres?host=/nonexistent-skilltools-socket-dir&port=1"


@pytest.fixture
def skill(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pytester's folder as a skill with two passing programs and one failing one; no PostgreSQL settings."""
    monkeypatch.delenv("DBOS_TEST_POSTGRES_URL", raising=False)
    monkeypatch.delenv("SKILL_REQUIRE_POSTGRES", raising=False)
    (pytester.path / "references").mkdir()
    for name in ("pass", "failure", "expected_exception"):
        shutil.copy(FIXTURES / f"{name}.md", pytester.path / "references" / f"fx-{name.replace('_', '-')}.md")
    return pytester.path


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "skilltools.pytest_plugin", "-p", "no:cacheprovider", *args)


def test_item_ids_and_failure_rendering(pytester: pytest.Pytester, skill: Path) -> None:
    result = run(pytester, "-v", "references")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*references/fx-expected-exception.md::3[[]sqlite[]] PASSED*",
            "*references/fx-failure.md::3[[]sqlite[]] FAILED*",
            "*references/fx-pass.md::3[[]sqlite[]] PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "references/fx-failure.md:3: [[]sqlite[]] failed: RuntimeError: broken example",
            '  4 | raise RuntimeError("broken example")',
            "  output (tail):",
            '*File "references/fx-failure.md", line 4, in <module>',
        ]
    )
    result.stdout.fnmatch_lines(["*the PostgreSQL half was NOT RUN*"])
    assert "postgres]" not in result.stdout.str()


def test_require_postgres_without_url_fails_once(
    pytester: pytest.Pytester, skill: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILL_REQUIRE_POSTGRES", "1")
    result = run(pytester, "references")
    result.assert_outcomes(passed=2, failed=2, skipped=2)  # sqlite: 2 pass, 1 fails; postgres: 1 fails, 2 skip
    result.stdout.fnmatch_lines(
        ["*PostgreSQL required (SKILL_REQUIRE_POSTGRES=1) but DBOS_TEST_POSTGRES_URL is not set*"]
    )
    assert "NOT RUN" not in result.stdout.str()


def test_postgres_down_is_one_clear_failure(
    pytester: pytest.Pytester, skill: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBOS_TEST_POSTGRES_URL", DOWN_URL)
    (skill / "references" / "fx-failure.md").unlink()
    result = run(pytester, "-rs", "references")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["PostgreSQL unavailable: cannot connect to *", "(start it, fix *, or unset it)"])
    result.stdout.fnmatch_lines(["*postgres not checked: see the first postgres item's failure*"])
    assert "Traceback" not in out and "KeyError" not in out
    assert len(out.splitlines()) < 40, out


def test_example_jobs_help_and_limit(pytester: pytest.Pytester, skill: Path, tmp_path: Path) -> None:
    help_text = " ".join(run(pytester, "--help").stdout.str().split())
    assert f"parallel example runs (default: {examples.Settings().jobs}, 12 x cores" in help_text
    log = tmp_path / "intervals.txt"
    block = (
        "# overlap probe\n\n```python\nimport time\n\nstart = time.time()\ntime.sleep(0.3)\n"
        f"with open({str(log)!r}, 'a') as handle:\n    handle.write(f'{{start}} {{time.time()}}\\n')\n```\n"
    )
    for name in ("a", "b", "c"):
        (skill / "references" / f"fx-probe-{name}.md").write_text(block)
    run(pytester, "--example-jobs", "1", "-k", "probe", "references").assert_outcomes(passed=3)
    intervals = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(intervals) == 3
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(intervals)), intervals
