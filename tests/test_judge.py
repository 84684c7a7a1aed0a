"""The verdict as a pure function: hand-made run results, no processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from skilltools import error_index, load_skill
from skilltools.examples import Program
from skilltools.judge import judge
from skilltools.markdown import parse_markdown
from skilltools.model import CodeBlock
from skilltools.runner.protocol import ExceptionRecord, RunRequest, RunResult


def program(info: str = "python", source: str = "x = 1\n") -> Program:
    return Program((CodeBlock("references/a-b.md", 3, 5, info, source, True, None),))


def raised(name: str, message: str = "", matches: bool = False) -> ExceptionRecord:
    return ExceptionRecord(name, f"builtins.{name}", message, matches)


CASES: dict[str, tuple[str, RunResult, bool, str]] = {
    "clean exit": ("python", RunResult(exit_code=0), True, "passed"),
    "non-zero exit": ("python", RunResult(exit_code=3), False, "failed: exit 3"),
    "exception": (
        "python",
        RunResult(exit_code=1, exceptions=[raised("KeyError", "'k'")]),
        False,
        "failed: KeyError: 'k'",
    ),
    "long message is clipped": (
        "python",
        RunResult(exit_code=1, exceptions=[raised("ValueError", "a" * 300 + "\nsecond line")]),
        False,
        "failed: ValueError: " + "a" * 200 + " ...",
    ),
    "no network hint": (
        "python",
        RunResult(exit_code=1, exceptions=[raised("OSError", "[Errno 101] Network is unreachable")]),
        False,
        "failed: OSError: [Errno 101] Network is unreachable (examples run without network)",
    ),
    "expected type": (
        "python expect=KeyError",
        RunResult(1, exceptions=[raised("KeyError", "", True)]),
        True,
        "passed",
    ),
    "expected type, exit 0": ("python expect=KeyError", RunResult(exit_code=0), False, "expected KeyError, got exit 0"),
    "wrong type": (
        "python expect=KeyError",
        RunResult(exit_code=1, exceptions=[raised("ValueError", "v")]),
        False,
        "expected KeyError, got ValueError: v",
    ),
    "message contained": (
        'python expect=KeyError:"not found"',
        RunResult(exit_code=1, exceptions=[raised("KeyError", "order: not found here", True)]),
        True,
        "passed",
    ),
    "right type, wrong message": (
        'python expect=KeyError:"not found"',
        RunResult(exit_code=1, exceptions=[raised("KeyError", "typo", True)]),
        False,
        'expected KeyError:"not found", got KeyError: typo',
    ),
    "message is case-sensitive": (
        'python expect=KeyError:"Not Found"',
        RunResult(exit_code=1, exceptions=[raised("KeyError", "not found", True)]),
        False,
        'expected KeyError:"Not Found", got KeyError: not found',
    ),
    "pytest: every failure must match": (
        'python pytest expect=KeyError:"a"',
        RunResult(exit_code=1, pytest=True, exceptions=[raised("KeyError", "a", True), raised("KeyError", "b", True)]),
        False,
        'expected KeyError:"a", got KeyError: b',
    ),
    "timed out": ("python timeout=2", RunResult(exit_code=-9, timed_out=True), False, "timed out after 2s"),
    "leftovers": ("python", RunResult(exit_code=0, leftovers=["sleep 9"]), False, "left processes running"),
    "interrupted": ("python", RunResult(exit_code=-9, interrupted=True), False, "interrupted"),
    "runner error": ("python", RunResult(exit_code=None, runner_error="boom"), False, "boom"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_judge(case: str) -> None:
    info, result, passes, headline = CASES[case]
    outcome = judge(program(info), "sqlite", result, None)
    assert (outcome.passed, outcome.headline[: len(headline)]) == (passes, headline)


def test_lint_problem_fails_an_otherwise_passing_run() -> None:
    outcome = judge(program(), "postgres", RunResult(exit_code=0), "linter reported DBOS201")
    expected = (False, "linter reported DBOS201", "references/a-b.md:3[postgres]")
    assert (outcome.passed, outcome.headline, outcome.id) == expected


def test_protocol_round_trips() -> None:
    result = RunResult(exit_code=1, exceptions=[raised("KeyError", "k", True)], stdout="o", stderr="e", dropped=5)
    assert RunResult.from_json(result.to_json()) == result
    request = RunRequest("/r", "/r/w/block.py", False, "KeyError", 1.5, {"HOME": "/r/w"}, False, "python")
    assert RunRequest.from_json(request.to_json()) == request


def test_stdout_without_final_newline_does_not_glue_stderr_to_it() -> None:
    assert RunResult(exit_code=0, stdout="partial", stderr="Traceback").output == "partial\nTraceback"


INDEX_TABLE = """\
| class (code) | raised when | explained in |
|---|---|---|
| `DBOSException` | misuse | most references |
| `DBOSUnexpectedStepError` (11) | replay met another step | [workflow-patching](workflow-patching.md), [x](x.md#a) |
| `DBOSStepNondeterminismError` (28), `DBOSStreamNondeterminismError` (17) | twice | [comm-streams](comm-streams.md) |
| `DBOSQueueDeduplicatedError` (12) | see [queue-basics](queue-basics.md) | [dedup](queue-deduplication.md) |
"""


def test_error_index_table_is_parsed() -> None:
    assert error_index.parse(parse_markdown("references/advanced-errors.md", INDEX_TABLE)) == {
        "DBOSException": ("references/advanced-errors.md",),
        "DBOSUnexpectedStepError": ("references/workflow-patching.md", "references/x.md"),
        "DBOSStepNondeterminismError": ("references/comm-streams.md",),
        "DBOSStreamNondeterminismError": ("references/comm-streams.md",),
        "DBOSQueueDeduplicatedError": ("references/queue-deduplication.md",),  # not the link in "raised when"
    }


def test_a_dbos_error_names_the_references_that_explain_it() -> None:
    errors = error_index.parse(parse_markdown("references/advanced-errors.md", INDEX_TABLE))
    result = RunResult(exit_code=1, exceptions=[raised("DBOSUnexpectedStepError", "replay")])
    failed = judge(program(), "sqlite", result, None, errors=errors)
    assert failed.headline == (
        "failed: DBOSUnexpectedStepError: replay (see references/workflow-patching.md, references/x.md)"
    )
    wrong = judge(program("python expect=KeyError"), "sqlite", result, None, errors=errors)
    assert wrong.headline.endswith(
        "got DBOSUnexpectedStepError: replay (see references/workflow-patching.md, references/x.md)"
    )
    other = RunResult(exit_code=1, exceptions=[raised("KeyError", "k")])
    assert judge(program(), "sqlite", other, None, errors=errors).headline == "failed: KeyError: k"


def test_this_skill_indexes_every_dbos_error_class() -> None:
    import dbos

    skill = load_skill(Path(__file__).resolve().parent.parent)
    index = error_index.load(skill)
    raised = [getattr(dbos.error, name) for name in dir(dbos.error)]
    # DBOSBaseException is only the base of the BaseException-derived errors; DBOS never raises it itself.
    classes = {c.__name__ for c in raised if isinstance(c, type) and issubclass(c, BaseException)}
    classes -= {"DBOSBaseException"}
    assert classes and classes <= set(index), sorted(classes - set(index))
    assert all((skill.root / path).is_file() for paths in index.values() for path in paths)
