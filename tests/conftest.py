"""Shared helpers for the tooling tests."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from fuzz_progress import FuzzCounter
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def valid_skill(tmp_path: Path) -> Path:
    """A copy of the minimal valid skill in a folder named like the skill (dbos-python/)."""
    target = tmp_path / "dbos-python"
    shutil.copytree(FIXTURES / "skills" / "valid", target)
    return target


# --- fuzzing (tests/test_fuzz.py) ------------------------------------------------------------------------
# "ci" is the default: enough cases to catch regressions in well under a minute. For a longer hunt:
#   .venv/bin/python -m pytest tests/test_fuzz.py --hypothesis-profile=thorough
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,  # tests/test_fuzz.py enforces its own per-call time limit (a hang fails, slowness does not)
    print_blob=True,  # a failure prints a @reproduce_failure blob
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=3000)
settings.load_profile("ci")

FUZZ_CASES = pytest.StashKey[Counter[str]]()
README_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def fuzz_cases(request: pytest.FixtureRequest) -> Counter[str]:
    """Per-target count of generated cases; printed in the terminal summary. A hunt longer than the "ci"
    profile also prints a progress line to the terminal every 500 cases of a target."""
    if FUZZ_CASES not in request.config.stash:
        current = settings.default  # the profile chosen with --hypothesis-profile
        planned = current.max_examples if current is not None else 0
        every = 500 if planned > settings.get_profile("ci").max_examples else 0
        terminal = request.config.get_terminal_writer()
        capture = request.config.pluginmanager.getplugin("capturemanager")

        def write(line: str) -> None:
            with capture.global_and_fixture_disabled():  # past pytest's output capture, to the terminal
                terminal.line(line, flush=True)

        request.config.stash[FUZZ_CASES] = FuzzCounter(every, planned, write)
    return request.config.stash[FUZZ_CASES]


@pytest.fixture(scope="session")
def readme_report(request: pytest.FixtureRequest) -> list[str]:
    """Per README: shell blocks run, and those not run with their reasons; printed in the terminal summary."""
    return request.config.stash.setdefault(README_REPORT, [])


EVALS_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def evals_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines tests/test_eval_scenarios.py prints in the terminal summary (runs, wall time)."""
    return request.config.stash.setdefault(EVALS_REPORT, [])


ASKILL_NOT_RUN = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[ASKILL_NOT_RUN] = not os.environ.get("ASKILL_CLI") and any(
        item.path.name == "test_askill_cli.py" for item in items
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if config.stash.get(ASKILL_NOT_RUN, False):
        terminalreporter.write_line(
            "!!! askill: the real-client half (tests/test_askill_cli.py) was NOT RUN; set ASKILL_CLI to an askill !!!",
            yellow=True,
            bold=True,
        )
    readmes = config.stash.get(README_REPORT, [])
    for line in readmes:
        terminalreporter.write_line(f"readme: {line}")
    if readmes:
        counts = [re.search(r": (\d+) of (\d+) shell blocks run", line) for line in readmes]
        ran, total = (sum(int(m.group(i)) for m in counts if m) for i in (1, 2))
        terminalreporter.write_line(
            f"readme: {ran} of {total} shell blocks run in {len(readmes)} README files (others listed above, with why)"
        )
    for line in config.stash.get(EVALS_REPORT, []):
        terminalreporter.write_line(f"evals: {line}")
    cases = config.stash.get(FUZZ_CASES, None)
    if cases:
        detail = ", ".join(f"{name} {count}" for name, count in sorted(cases.items()))
        terminalreporter.write_line(f"fuzz: {sum(cases.values())} generated cases ({detail})")
