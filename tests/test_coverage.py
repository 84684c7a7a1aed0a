"""API coverage and drift: the inventory, strong/weak uses, drift with file:line, exclusions, baseline, report."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from skilltools import load_skill
from skilltools.cli import main
from skilltools.coverage import BASELINE_FILE, EXCLUSIONS_FILE, REPORT_FILE, Coverage, check_baseline, compute, drift
from skilltools.coverage.dbos_api import ApiItem, inventory
from skilltools.coverage.render import render_markdown
from skilltools.rules import RULES

REPO = Path(__file__).resolve().parent.parent
REF = "references/alpha-cov.md"
HEAD = "---\ntitle: T\nimpact: LOW\nimpactDescription: t\ntags: [t]\n---\n\n## T\n\n"
PROGRAM = """\
import os

from dbos import DBOS, DBOSConfig
{body}
"""


def add_reference(root: Path, body: str) -> None:
    (root / REF).write_text(HEAD + body)


def block(body: str, info: str = "python", label: str = "**Correct** (works):") -> str:
    return f"{label}\n\n```{info}\n{PROGRAM.format(body=body)}```\n\n"


def line_of(root: Path, needle: str, rel: str = REF) -> int:
    lines = (root / rel).read_text().split("\n")
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


def problems(root: Path) -> list[str]:
    return [f"{p.path}:{p.line}: {p.id}" for p in compute(load_skill(root)).problems]


def status(coverage: Coverage, category: str, name: str) -> str:
    found = next(c for c in coverage.categories if c.name == category)
    return next(i.status for i in found.items if i.item.name == name)


# --- inventory -------------------------------------------------------------------------------------------


def test_inventory_holds_known_names_and_folds_async_twins() -> None:
    items = {(item.category, item.name): item for item in inventory()}
    assert items[("DBOS", "start_workflow")].variants == ("start_workflow", "start_workflow_async")
    assert items[("DBOSClient", "enqueue")].variants == ("enqueue", "enqueue_async")
    assert items[("Queue", "worker_concurrency")].variants == ("worker_concurrency", "get_worker_concurrency_async")
    assert ("DBOS", "start_workflow_async") not in items
    for known in [
        ("DBOS", "launch"),
        ("dbos", "SetWorkflowID"),
        ("dbos", "error"),
        ("DBOSConfig", "system_database_url"),
        ("dbos.error", "DBOSException"),
        ("StepOptions", "retries_allowed"),
        ("EnqueueOptions", "queue_name"),
        ("DBOS.step()", "retries_allowed"),
        ("DBOS.register_queue()", "worker_concurrency"),
        ("SetEnqueueOptions()", "deduplication_id"),
        ("WorkflowHandle", "workflow_id"),
    ]:
        assert known in items, known
    assert ("DBOS.register_queue()", "name") not in items  # required parameters are covered by any call
    assert ApiItem("DBOS", "scheduled") not in inventory()


# --- uses ------------------------------------------------------------------------------------------------


def test_correct_example_is_strong_prose_and_incorrect_example_are_weak(valid_skill: Path) -> None:
    add_reference(
        valid_skill,
        "Call `DBOS.set_event` to publish; `DBOSConfig` key `log_level` too.\n\n"
        + block("DBOS.send('wf', 1)\nconfig: DBOSConfig = {'name': 'a', 'executor_id': 'x'}")
        + block("DBOS.recv()", info="python expect=DBOSException", label="**Incorrect** (no workflow):"),
    )
    coverage = compute(load_skill(valid_skill))
    assert status(coverage, "DBOS", "send") == "strong"
    assert status(coverage, "DBOSConfig", "executor_id") == "strong"
    assert status(coverage, "DBOS", "set_event") == "weak"
    assert status(coverage, "DBOSConfig", "log_level") == "weak"
    assert status(coverage, "DBOS", "recv") == "weak"
    assert status(coverage, "DBOS", "get_event") == "missing"
    assert coverage.problems == ()


def test_an_expected_dbos_exception_is_strong_for_that_exception_only(valid_skill: Path) -> None:
    add_reference(
        valid_skill,
        block("DBOS.recv()", info="python expect=DBOSException", label="**Incorrect** (x):")
        + block("DBOS.recv()", info="python expect=ValueError", label="**Incorrect** (y):"),
    )
    coverage = compute(load_skill(valid_skill))
    assert status(coverage, "dbos.error", "DBOSException") == "strong"
    assert status(coverage, "DBOS", "recv") == "weak"


def test_instances_keywords_and_typed_dicts_are_followed(valid_skill: Path) -> None:
    add_reference(
        valid_skill,
        block("""\
from dbos import DBOSClient, SetEnqueueOptions, StepOptions, error


@DBOS.step(retries_allowed=True)
def fetch() -> int:
    return 1


def make_config() -> DBOSConfig:
    return {"name": "a", "application_version": "1"}


async def main() -> None:
    config = make_config()
    config["log_level"] = "INFO"
    DBOS(config={"name": "a", "run_migrations": True})
    DBOS.run_step({"max_attempts": 2}, fetch)
    options: StepOptions = {"backoff_rate": 2.0}
    queue = DBOS.register_queue("q", worker_concurrency=1)
    handle = queue.enqueue(fetch)
    handle.get_status()
    waiting = await DBOS.start_workflow_async(fetch)
    await waiting.get_result()
    client = DBOSClient(system_database_url=os.environ["URL"])
    client.enqueue({"queue_name": "q", "workflow_name": "fetch"})
    with SetEnqueueOptions(priority=1):
        pass
    raise error.DBOSMaxStepRetriesExceeded("f", 1, [])
"""),
    )
    coverage = compute(load_skill(valid_skill))
    for category, name in [
        ("DBOS.step()", "retries_allowed"),
        ("DBOSConfig", "application_version"),
        ("DBOSConfig", "log_level"),
        ("DBOSConfig", "run_migrations"),
        ("StepOptions", "max_attempts"),
        ("StepOptions", "backoff_rate"),
        ("DBOS.register_queue()", "worker_concurrency"),
        ("Queue", "enqueue"),
        ("WorkflowHandle", "get_status"),
        ("DBOS", "start_workflow"),
        ("WorkflowHandleAsync", "get_result"),
        ("DBOSClient()", "system_database_url"),
        ("DBOSClient", "enqueue"),
        ("EnqueueOptions", "workflow_name"),
        ("SetEnqueueOptions()", "priority"),
        ("dbos.error", "DBOSMaxStepRetriesExceeded"),
        ("dbos", "error"),
    ]:
        assert status(coverage, category, name) == "strong", (category, name)
    assert status(coverage, "WorkflowHandle", "get_result") == "missing"  # the awaited handle is the async one


# --- drift -----------------------------------------------------------------------------------------------


def test_drift_in_a_correct_example_points_at_its_line(valid_skill: Path) -> None:
    add_reference(valid_skill, block('@DBOS.scheduled("* * * * *")\ndef tick(scheduled, actual) -> None:\n    pass'))
    line = line_of(valid_skill, "@DBOS.scheduled")
    assert [str(p).split(" ", 2)[:2] for p in drift(load_skill(valid_skill))] == [[f"{REF}:{line}:", "COV001"]]
    assert problems(valid_skill) == [f"{REF}:{line}: COV001"]


@pytest.mark.parametrize(
    ("body", "needle", "id"),
    [
        ("from dbos import Scheduler", "import Scheduler", "COV002"),
        ("config: DBOSConfig = {'name': 'a', 'database_url': 'x'}", "database_url", "COV003"),
        ("DBOS(config={'name': 'a'}, fastapi=None)", "fastapi", "COV004"),
        ("@DBOS.step(retries=3)\ndef f() -> None:\n    pass", "retries=3", "COV004"),
        (
            "from dbos import DBOSClient\nclient = DBOSClient()\nclient.enqueue_workflow(None)",
            "client.enqueue_",
            "COV001",
        ),
        ("from dbos import error\nexcept_type = error.DBOSTimeout", "error.DBOSTimeout", "COV001"),
    ],
    ids=["import", "config-key", "constructor-keyword", "decorator-keyword", "client-member", "error-name"],
)
def test_drift_kinds(valid_skill: Path, body: str, needle: str, id: str) -> None:
    add_reference(valid_skill, block(body))
    assert problems(valid_skill) == [f"{REF}:{line_of(valid_skill, needle)}: {id}"]


def test_a_name_the_program_rebinds_is_not_followed(valid_skill: Path) -> None:
    shadowed = "from dbos import error\n\ntry:\n    pass\nexcept Exception as error:\n    error.args"
    add_reference(valid_skill, block(shadowed))
    assert problems(valid_skill) == []


def test_drift_in_prose_and_in_incorrect_examples(valid_skill: Path) -> None:
    add_reference(
        valid_skill,
        "Use `DBOS.scheduled` no more, nor `from dbos import Scheduler`.\n\n"
        + block("DBOS.transaction()", info="python expect=AttributeError", label="**Incorrect** (gone):"),
    )
    prose = line_of(valid_skill, "Use `DBOS.scheduled`")
    code = line_of(valid_skill, "DBOS.transaction()")
    assert problems(valid_skill) == [f"{REF}:{prose}: COV001", f"{REF}:{prose}: COV002", f"{REF}:{code}: COV001"]


def test_absent_entries_allow_names_on_purpose_and_must_stay_true(valid_skill: Path) -> None:
    add_reference(valid_skill, "`DBOS.scheduled` was removed in 3.x.\n")
    (valid_skill / EXCLUSIONS_FILE).write_text(
        "absent:\n  DBOS:\n    scheduled: removed in 3.x\n    launch: wrongly listed\n    transaction: not mentioned\n"
    )
    assert problems(valid_skill) == [f"{EXCLUSIONS_FILE}:4: COV104", f"{EXCLUSIONS_FILE}:5: COV105"]


# --- exclusions ------------------------------------------------------------------------------------------


def test_exclusions_are_checked_one_by_one(valid_skill: Path) -> None:
    add_reference(valid_skill, block("DBOS.launch()"))
    (valid_skill / EXCLUSIONS_FILE).write_text("""\
excluded:
  DBOS:
    kafka_consumer: needs a Kafka broker
    scheduled: a name that no longer exists
    launch: excluded but taught
    tracer: ''
  Nope:
    thing: unknown category
""")
    coverage = compute(load_skill(valid_skill))
    assert status(coverage, "DBOS", "kafka_consumer") == "excluded"
    assert [f"{p.path}:{p.line}: {p.id}" for p in coverage.problems] == [
        f"{EXCLUSIONS_FILE}:6: COV106",
        f"{EXCLUSIONS_FILE}:4: COV102",
        f"{EXCLUSIONS_FILE}:5: COV103",
        f"{EXCLUSIONS_FILE}:8: COV101",
    ]


def test_duplicate_exclusion_is_rejected_by_the_strict_loader(valid_skill: Path) -> None:
    (valid_skill / EXCLUSIONS_FILE).write_text("excluded:\n  DBOS:\n    tracer: a\n    tracer: b\n")
    assert problems(valid_skill) == [f"{EXCLUSIONS_FILE}:4: SKL103"]


# --- baseline, report and command ------------------------------------------------------------------------


def test_baseline_regression_names_the_lost_item(valid_skill: Path) -> None:
    add_reference(valid_skill, block("DBOS.launch()"))
    (valid_skill / "docs").mkdir()
    baseline = {"dbos": "3.4.0", "strong": {"DBOS": ["launch", "send"]}}
    (valid_skill / BASELINE_FILE).write_text(json.dumps(baseline, indent=2))
    found = check_baseline(compute(load_skill(valid_skill)), valid_skill)
    assert [f"{p.path}:{p.line}: {p.id}" for p in found] == [f"{BASELINE_FILE}:6: COV201"]
    assert "DBOS: send" in found[0].message


def test_cli_writes_report_and_baseline_and_fails_on_drift(
    valid_skill: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_reference(valid_skill, block("DBOS.launch()"))
    assert main(["coverage", str(valid_skill), "--write", "--update-baseline"]) == 0
    assert (valid_skill / REPORT_FILE).read_text() == render_markdown(compute(load_skill(valid_skill)))
    assert json.loads((valid_skill / BASELINE_FILE).read_text())["strong"]["DBOS"] == ["launch"]
    capsys.readouterr()
    assert main(["coverage", str(valid_skill), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"category", "total", "strong", "percent", "items"} <= set(data["categories"][0])
    add_reference(valid_skill, block("DBOS.scheduled()"))
    assert main(["coverage", str(valid_skill)]) == 1
    err = capsys.readouterr().err
    assert "COV001" in err and "COV201" in err  # drift, and launch lost its strong coverage


# --- the real skill --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Coverage:
    return compute(load_skill(REPO))


def test_real_skill_has_no_drift_or_exclusion_problems(real: Coverage) -> None:
    assert [str(p) for p in real.problems] == []


def test_real_skill_keeps_the_committed_baseline(real: Coverage) -> None:
    assert (REPO / BASELINE_FILE).exists()
    assert [str(p) for p in check_baseline(real, REPO)] == []


def test_checked_in_coverage_report_is_fresh(real: Coverage) -> None:
    assert (REPO / REPORT_FILE).read_text("utf-8") == render_markdown(real), (
        "docs/coverage.md is stale: run `.venv/bin/skilltools coverage --write`"
    )


def test_an_unreadable_baseline_is_reported(valid_skill: Path) -> None:
    (valid_skill / "docs").mkdir()
    (valid_skill / BASELINE_FILE).write_text('{"dbos": "3.4.0"}')
    found = check_baseline(compute(load_skill(valid_skill)), valid_skill)
    assert [f"{p.path}:{p.line}: {p.id}" for p in found] == [f"{BASELINE_FILE}:1: COV202"]


PROVEN_BY: dict[str, str] = {
    "COV001": "test_drift_in_a_correct_example_points_at_its_line",
    "COV002": "test_drift_kinds",
    "COV003": "test_drift_kinds",
    "COV004": "test_drift_kinds",
    "COV101": "test_exclusions_are_checked_one_by_one",
    "COV102": "test_exclusions_are_checked_one_by_one",
    "COV103": "test_exclusions_are_checked_one_by_one",
    "COV104": "test_absent_entries_allow_names_on_purpose_and_must_stay_true",
    "COV105": "test_absent_entries_allow_names_on_purpose_and_must_stay_true",
    "COV106": "test_exclusions_are_checked_one_by_one",
    "COV201": "test_baseline_regression_names_the_lost_item",
    "COV202": "test_an_unreadable_baseline_is_reported",
}
"""The test that fails each coverage rule at an exact file:line."""


@pytest.mark.parametrize("rule_id", sorted(i for i in RULES if i.startswith("COV")))
def test_every_coverage_rule_of_the_table_has_a_failing_fixture(rule_id: str) -> None:
    assert rule_id in PROVEN_BY, f"{rule_id} has no test proving it"
    test: Any = globals()[PROVEN_BY[rule_id]]
    assert f'"{rule_id}"' in inspect.getsource(test) or f": {rule_id}" in inspect.getsource(test)
