"""The example checker's outcomes, one fixture per kind, in the warm pool and in cold processes alike."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from skilltools import examples, load_skill
from skilltools.report import to_json, to_junit

FIXTURES = Path(__file__).parent / "fixtures" / "examples"
REPO = Path(__file__).resolve().parent.parent

# fixture -> (passes, phrase the headline starts with)
EXPECTED: dict[str, tuple[bool, str]] = {
    "pass": (True, "passed"),
    "dbos_pass": (True, "passed"),
    "expected_exception": (True, "passed"),
    "expected_dotted": (True, "passed"),
    "wrong_exception": (False, "expected KeyError, got ValueError"),
    "expected_message": (True, "passed"),
    "dotted_with_message": (True, "passed"),
    "wrong_message": (False, 'expected ValueError:"no such workflow", got ValueError: typo in the example'),
    "pytest_expect_message": (False, "expected KeyError:\"order-1\", got KeyError: 'order-2'"),
    "subclass_is_not_exact": (False, "expected LookupError, got KeyError"),
    "no_exception": (False, "expected ValueError, got exit 0"),
    "failure": (False, "failed: RuntimeError"),
    "big_output": (False, "failed: RuntimeError: after the output"),
    "syntax_error": (False, "failed: SyntaxError"),
    "timeout": (False, "timed out after 1s"),
    "sys_exit_nonzero": (False, "failed: exit 3"),
    "os_exit": (False, "failed: exit 4"),
    "killed_by_signal": (False, "failed: exit -9"),
    "leftover_process": (False, "left processes running"),
    "network": (False, "failed: "),
    "continues_chain": (True, "passed"),
    "continues_chain_failing": (False, "failed: AssertionError"),
    "stdin_closed": (True, "passed"),
    "home_is_temp": (True, "passed"),
    "nondaemon_thread_joined": (True, "passed"),
    "pytest_pass": (True, "passed"),
    "pytest_expect": (True, "passed"),
    "pytest_fail": (False, "failed: AssertionError"),
    "lint_expected": (True, "passed"),
    "lint_unexpected": (False, "linter reported DBOS201"),
}


def make_skill(tmp_path: Path, names: list[str], with_linter: bool = True) -> Path:
    root = tmp_path / "skill"
    (root / "references").mkdir(parents=True)
    for name in names:
        shutil.copy(FIXTURES / f"{name}.md", root / "references" / f"fx-{name.replace('_', '-')}.md")
    if with_linter:
        (root / "scripts").mkdir()
        shutil.copy(REPO / "scripts" / "dbos_lint.py", root / "scripts" / "dbos_lint.py")
    return root


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, examples.Outcome]]:
    """Every fixture, run once warm and once cold."""
    root = make_skill(tmp_path_factory.mktemp("checker"), sorted(EXPECTED))
    skill = load_skill(root)
    programs = examples.plan(skill)
    result: dict[str, dict[str, examples.Outcome]] = {}
    for mode in ("warm", "cold"):
        settings = examples.Settings(databases=("sqlite",), jobs=4, warm=mode == "warm")
        for outcome in examples.check(skill, programs, settings).outcomes:
            name = Path(outcome.program.path).stem.removeprefix("fx-").replace("-", "_")
            result.setdefault(name, {})[mode] = outcome
    return result


def test_every_fixture_was_planned(outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    assert sorted(outcomes) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_outcome(name: str, mode: str, outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    passes, headline = EXPECTED[name]
    outcome = outcomes[name][mode]
    assert (outcome.passed, outcome.headline[: len(headline)]) == (passes, headline), outcome.render()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_warm_pool_agrees_with_cold_processes(name: str, outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    warm, cold = outcomes[name]["warm"], outcomes[name]["cold"]
    assert (warm.passed, warm.headline, warm.exit_code, warm.exception) == (
        cold.passed,
        cold.headline,
        cold.exit_code,
        cold.exception,
    )


def test_failure_output_points_at_markdown_lines(outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    outcome = outcomes["failure"]["warm"]
    assert 'File "references/fx-failure.md", line 4' in outcome.output
    assert "runner.py" not in outcome.output and "block.py" not in outcome.output
    assert outcome.render().startswith("references/fx-failure.md:3: [sqlite] failed: RuntimeError")


def test_continues_chain_reports_the_head_line_and_maps_later_lines(
    outcomes: dict[str, dict[str, examples.Outcome]],
) -> None:
    outcome = outcomes["continues_chain_failing"]["warm"]
    assert outcome.program.line == 3
    assert 'File "references/fx-continues-chain-failing.md", line 8' in outcome.output


def test_network_is_blocked(outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    if not examples.network_isolation_available():
        pytest.fail("unshare -n is unavailable here, so examples are NOT network-isolated")
    assert "(examples run without network)" in outcomes["network"]["warm"].headline


@pytest.mark.parametrize("mode", ["warm", "cold"])
@pytest.mark.parametrize(("name", "marker"), [("timeout", "block pid"), ("leftover_process", "child pid")])
def test_no_process_survives_a_timeout_or_leftover(
    name: str, marker: str, mode: str, outcomes: dict[str, dict[str, examples.Outcome]]
) -> None:
    """The block printed its pid (or its child's); by the time the outcome exists, that process is gone."""
    found = re.search(rf"{marker} (\d+)", outcomes[name][mode].output)
    assert found, outcomes[name][mode].render()
    assert not Path(f"/proc/{found[1]}").exists(), f"{name} [{mode}]: process {found[1]} is still running"


def test_big_output_is_capped_and_still_mapped(outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    output = outcomes["big_output"]["warm"].output
    dropped = int(re.search(r"\[(\d+) earlier bytes of output not kept\]", output)[1])  # type: ignore[index]
    assert dropped >= 20_000_000 - 2 * 64 * 1024
    assert len(output) < 50_000
    assert "references/fx-big-output.md:4 " in output and "more characters]" in output
    assert 'File "references/fx-big-output.md", line 9' in output


def test_lint_block_without_linter_fails_loudly(tmp_path: Path) -> None:
    skill = load_skill(make_skill(tmp_path, ["lint_expected"], with_linter=False))
    [outcome] = examples.check(skill, examples.plan(skill), examples.Settings(jobs=1)).outcomes
    assert not outcome.passed
    assert outcome.headline == "linter not available (scripts/dbos_lint.py is missing)"


def test_plan_filters_by_pattern(tmp_path: Path) -> None:
    skill = load_skill(make_skill(tmp_path, ["pass", "failure"]))
    assert [str(p) for p in examples.plan(skill, "failure")] == ["references/fx-failure.md:3"]


def test_reports(outcomes: dict[str, dict[str, examples.Outcome]]) -> None:
    chosen = [outcomes["pass"]["warm"], outcomes["failure"]["warm"]]
    assert '"passed": false' in to_json(chosen)
    xml = to_junit(chosen).decode()
    assert 'tests="2"' in xml and 'failures="1"' in xml and "failed: RuntimeError" in xml
    assert examples.summary(chosen, ["sqlite"]) == "sqlite: 1 passed, 1 failed"


def test_postgres_runs_get_a_fresh_database_each(tmp_path: Path) -> None:
    url = os.environ.get("DBOS_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("SKILL_REQUIRE_POSTGRES") == "1":
            pytest.fail("SKILL_REQUIRE_POSTGRES=1 but DBOS_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL NOT tested: set DBOS_TEST_POSTGRES_URL")
    from skilltools.pgdb import PostgresServer

    def databases() -> set[str]:
        with PostgresServer(url)._connect() as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'sktest\\_%'")
            return {str(row[0]) for row in rows}

    before = databases()
    skill = load_skill(make_skill(tmp_path, ["dbos_pass", "home_is_temp"]))
    prefix = f"sktest_{os.getpid()}"
    settings = examples.Settings(databases=("postgres",), jobs=2, postgres_url=url, postgres_prefix=prefix)
    results = examples.check(skill, examples.plan(skill), settings).outcomes
    # home_is_temp asserts the URL is absent, so on PostgreSQL it must fail: the URL is really set.
    assert [(Path(o.program.path).stem, o.passed) for o in results] == [
        ("fx-dbos-pass", True),
        ("fx-home-is-temp", False),
    ]
    assert databases() == before, "the checker left databases behind"
    assert not any(name.startswith(prefix) for name in before)
