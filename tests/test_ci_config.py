"""The hosted CI (.github/workflows/ci.yml) stays equivalent to .ci/run: same command, same PostgreSQL major
version and server settings, PostgreSQL required; and tags build and upload the ZIP with its .sha256."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
CI_RUN = REPO / ".ci" / "run"
POSTGRES_MAJOR = 15
"""What .ci/run installs: Debian 12's `postgresql` package is PostgreSQL 15."""


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    return data


def commands(script: str) -> list[str]:
    """Shell lines without comments, blanks and line continuations."""
    joined = script.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def runs(job: dict[str, Any]) -> list[str]:
    return [line for step in job["steps"] if "run" in step for line in commands(step["run"])]


def test_same_test_command_as_ci_run(workflow: dict[Any, Any]) -> None:
    ci_run = commands(CI_RUN.read_text("utf-8"))
    assert ci_run[-1] == "make test"
    assert runs(workflow["jobs"]["test"])[-1] == "make test"


def test_runs_on_pushes_pull_requests_and_tags(workflow: dict[Any, Any]) -> None:
    triggers = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1 reads a bare `on` as True
    assert set(triggers) >= {"push", "pull_request"}
    assert "v*" in triggers["push"]["tags"]


def test_same_postgres_major_and_settings(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["test"]
    assert job["services"]["postgres"]["image"] == f"postgres:{POSTGRES_MAJOR}"
    ci_run = CI_RUN.read_text("utf-8")
    settings = " ".join(runs(job))
    for name in ("max_connections", "fsync"):
        value = re.search(rf"-c {name}=(\w+)", ci_run)
        assert value, f".ci/run no longer sets {name}; update this test and the workflow together"
        assert f"ALTER SYSTEM SET {name} = {value.group(1)}" in settings


def test_postgres_is_required_in_both(workflow: dict[Any, Any]) -> None:
    env = workflow["jobs"]["test"]["env"]
    assert env["SKILL_REQUIRE_POSTGRES"] == "1"
    assert env["DBOS_TEST_POSTGRES_URL"].startswith("postgresql://")
    ci_run = CI_RUN.read_text("utf-8")
    assert "export SKILL_REQUIRE_POSTGRES=1" in ci_run
    assert "export DBOS_TEST_POSTGRES_URL=" in ci_run


def test_the_server_in_use_has_the_same_major_version() -> None:
    """Run by .ci/run and by the workflow alike: both must be talking to PostgreSQL 15."""
    url = os.environ.get("DBOS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("DBOS_TEST_POSTGRES_URL is not set")
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    assert int(row[0]) // 10000 == POSTGRES_MAJOR


def test_tags_build_and_upload_the_zip_and_its_sha256(workflow: dict[Any, Any]) -> None:
    job = workflow["jobs"]["release"]
    assert job["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert job["needs"] == "test"
    assert "make build" in runs(job)
    [upload] = [step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    assert upload["with"]["path"].split() == ["dist/*.zip", "dist/*.sha256"]
    assert upload["with"]["if-no-files-found"] == "error"


def test_python_version_matches_mypy_target(workflow: dict[Any, Any]) -> None:
    pyproject = (REPO / "pyproject.toml").read_text("utf-8")
    target = re.search(r'^python_version = "([\d.]+)"', pyproject, re.MULTILINE)
    assert target
    for job in workflow["jobs"].values():
        [setup] = [step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/setup-python@")]
        assert setup["with"]["python-version"] == target.group(1)
