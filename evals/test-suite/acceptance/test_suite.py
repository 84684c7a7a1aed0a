"""Run the agent's suite against the app as shipped (must pass) and against broken apps (must fail).

The three suite runs are independent and slow (each starts the app in a child process), so they run at once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BUGS = Path(__file__).resolve().parent / "bugs"
APPS = {"as shipped": None, "no workflow id": "no_workflow_id.py", "buys outside a step": "order_outside_step.py"}


@pytest.fixture(scope="module")
def suite_runs(workdir, db_kind, module_databases, tmp_path_factory):
    """Start the agent's suite on each app variant in parallel; return {variant: (exit status, output)}."""
    started = {}
    for variant, app in APPS.items():
        project = tmp_path_factory.mktemp("project")
        shutil.rmtree(project)
        shutil.copytree(workdir, project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite", ".pytest_cache"))
        if app is not None:
            shutil.copy(BUGS / app, project / "inventory.py")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBOS", "PYTEST", "SUPPLIER"))}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if db_kind == "postgres":
            env["DBOS_SYSTEM_DATABASE_URL"] = module_databases.create()
        log = project.parent / f"{project.name}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
                cwd=project,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started[variant] = (proc, log, (project / "tests").is_dir())
    results = {}
    for variant, (proc, log, has_tests) in started.items():
        try:
            code = proc.wait(timeout=240)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            code = proc.wait()
        output = log.read_text(errors="replace")
        results[variant] = (code if has_tests else -1, output if has_tests else "no tests/ folder")
    return results


def test_suite_passes_on_the_app(suite_runs):
    code, output = suite_runs["as shipped"]
    assert code == 0, f"the suite fails on the correct app (exit {code}):\n{output[-4000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 2, f"expected at least 2 passing tests:\n{output[-2000:]}"


def test_suite_catches_a_restock_without_workflow_id(suite_runs):
    code, output = suite_runs["no workflow id"]
    assert code == 1, f"the suite should fail (exit 1) when restock IDs are ignored; exit {code}:\n{output[-3000:]}"


def test_suite_catches_buying_outside_a_step(suite_runs):
    code, output = suite_runs["buys outside a step"]
    assert code == 1, f"the suite should fail (exit 1) when a crash makes it buy twice; exit {code}:\n{output[-3000:]}"
