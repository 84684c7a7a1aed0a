"""pytest integration: every example program is an item per database, id `references/x.md::LINE[sqlite]`.

Collection turns SKILL.md and references/*.md (of the rootdir's skill) into items. The first item of a
database to run checks every selected item of that database at once, in parallel on the warm pool; each item
then asserts its own outcome. PostgreSQL items exist when DBOS_TEST_POSTGRES_URL is set; otherwise one loud
line says they were not run, and SKILL_REQUIRE_POSTGRES=1 (set by CI) turns that into one failure. When the
server cannot be used, the first PostgreSQL item fails with one line saying why; the others are skipped,
pointing at it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from . import examples
from .model import Program, Skill
from .parse import load_skill

POSTGRES_ENV = "DBOS_TEST_POSTGRES_URL"
REQUIRE_ENV = "SKILL_REQUIRE_POSTGRES"


@dataclass
class _State:
    skill: Skill | None = None
    selected: list[ExampleItem] = field(default_factory=list)
    outcomes: dict[tuple[Program, str], examples.Outcome] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    """Databases whose check has run (successfully or not)."""
    setup_error: dict[str, str] = field(default_factory=dict)
    """Why a database could not be checked at all; reported once, by its first item."""
    reported: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


_KEY = pytest.StashKey[_State]()


def _skill_root(config: pytest.Config) -> Path:
    return Path(config.getoption("skill_root") or config.rootpath).resolve()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("skill-examples")
    group.addoption("--skill-root", default=None, help="skill folder whose examples are collected (default: rootdir)")
    group.addoption(
        "--example-jobs",
        type=int,
        default=None,
        help=f"parallel example runs (default: {examples.Settings().jobs}, 12 x cores, started as cores free)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_KEY] = _State()


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get(POSTGRES_ENV):
        return f"skill examples: SQLite and PostgreSQL ({POSTGRES_ENV} is set)"
    if os.environ.get(REQUIRE_ENV) == "1":
        return f"skill examples: SQLite and PostgreSQL, but {POSTGRES_ENV} is not set: the PostgreSQL half fails"
    return f"skill examples: SQLite only. PostgreSQL half NOT RUN: set {POSTGRES_ENV} to run it"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    root = _skill_root(parent.config)
    is_skill_md = file_path == root / "SKILL.md"
    is_reference = (
        file_path.parent == root / "references" and file_path.suffix == ".md" and not file_path.name.startswith("_")
    )
    if is_skill_md or is_reference:
        return ExampleFile.from_parent(parent, path=file_path)
    return None


class ExampleFile(pytest.File):
    def collect(self) -> Any:
        state = self.config.stash[_KEY]
        if state.skill is None:
            state.skill = load_skill(_skill_root(self.config))
        rel = self.path.relative_to(_skill_root(self.config)).as_posix()
        programs = [p for p in examples.plan(state.skill) if p.path == rel]
        require = os.environ.get(REQUIRE_ENV) == "1"
        databases = ["sqlite"] + (["postgres"] if os.environ.get(POSTGRES_ENV) or require else [])
        for program in programs:
            for db in databases:
                yield ExampleItem.from_parent(self, name=f"{program.line}[{db}]", program=program, database=db)


class ExampleItem(pytest.Item):
    def __init__(self, *, program: Program, database: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.program = program
        self.database = database

    def runtest(self) -> None:
        state = self.config.stash[_KEY]
        _check(self.config, self.database)
        error = state.setup_error.get(self.database)
        if error is not None:
            if self.database in state.reported:
                pytest.skip(f"{self.database} not checked: see the first {self.database} item's failure")
            state.reported.add(self.database)
            raise SetupFailed(error)
        outcome = state.outcomes[(self.program, self.database)]
        if not outcome.passed:
            raise ExampleFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ExampleFailed):
            return excinfo.value.outcome.render()
        if isinstance(excinfo.value, SetupFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.program.line - 1, f"{self.program}[{self.database}]"


class ExampleFailed(Exception):
    def __init__(self, outcome: examples.Outcome) -> None:
        super().__init__(outcome.headline)
        self.outcome = outcome


class SetupFailed(Exception):
    """A whole database could not be checked; the message says what to do."""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[_KEY].selected = [item for item in items if isinstance(item, ExampleItem)]


def _check(config: pytest.Config, db: str) -> None:
    """Check every selected program on `db`, once; a setup failure is kept, not raised."""
    state = config.stash[_KEY]
    if db in state.checked:
        return
    state.checked.add(db)
    programs = list(dict.fromkeys(item.program for item in state.selected if item.database == db))
    url = os.environ.get(POSTGRES_ENV)
    if db == "postgres" and not url:
        state.setup_error[db] = f"PostgreSQL required ({REQUIRE_ENV}=1) but {POSTGRES_ENV} is not set"
        return
    jobs = config.getoption("example_jobs") or examples.Settings().jobs
    settings = examples.Settings(databases=(db,), jobs=jobs, postgres_url=url)
    assert state.skill is not None
    try:
        report = examples.check(state.skill, programs, settings)
    except examples.PostgresUnavailable as error:
        state.setup_error[db] = f"PostgreSQL unavailable: {error}\n(start it, fix {POSTGRES_ENV}, or unset it)"
        return
    state.outcomes.update(((outcome.program, db), outcome) for outcome in report.outcomes)
    state.notes.extend(report.notes)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash[_KEY]
    if not state.selected:
        return
    if not os.environ.get(POSTGRES_ENV) and os.environ.get(REQUIRE_ENV) != "1":
        terminalreporter.write_line(
            f"!!! skill examples: the PostgreSQL half was NOT RUN; set {POSTGRES_ENV} (CI always does) !!!",
            yellow=True,
            bold=True,
        )
    for note in dict.fromkeys(state.notes):
        terminalreporter.write_line(f"!!! skill examples: {note} !!!", yellow=True, bold=True)
