#!/usr/bin/env python3
"""Find DBOS 3.x mistakes in Python code. Standard library only; never imports dbos.

Only code that imports dbos is checked for DBOS rules: names resolve through the module's imports.
Workflow and step bodies are the statements of a function decorated with @DBOS.workflow / @DBOS.step
(with or without parentheses, also in @DBOS.dbos_class classes). Nested functions and lambdas are not
part of the body: they may run as a step (DBOS.run_step) or never, so body rules skip them.

Each module is parsed once and walked once (scope by scope, in source order); checks that need facts from
the whole module (which functions are workflows, where DBOS is launched) are settled after the walk.
"""

from __future__ import annotations

import argparse
import ast
import functools
import gc
import io
import json
import os
import re
import stat
import subprocess
import sys
import tokenize
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

_V = TypeVar("_V")


@dataclass(frozen=True)
class Rule:
    name: str
    message: str  # str.format template; slots are filled by the checker
    reference: str  # the skill file that documents the rule ("" for DBOS001)
    summary: str  # what it flags: the row of --list-rules and of docs/authoring.md's table
    in_tests: str = "checked"  # how test files (test_*.py, *_test.py, conftest.py) are linted
    opt_in: bool = False  # reported only when named in --select


def _rule(name: str, message: str, ref: str, summary: str, in_tests: str = "checked", opt_in: bool = False) -> Rule:
    return Rule(name, message, f"references/{ref}.md", summary, in_tests, opt_in)


_TEST_CLOCK = "clock and environment reads skipped (timing and crash hooks)"
RULES: dict[str, Rule] = {
    "DBOS001": Rule("syntax-error", "{error}", "", "a file that cannot be read or parsed as Python"),
    "DBOS101": _rule(
        "launch-at-import",
        'DBOS.launch() runs at import time; launch DBOS under `if __name__ == "__main__":`, in main() or in a lifespan',
        "lifecycle-launch",
        "`DBOS.launch()` at module import time (not under `__main__`, a function or a lifespan)",
    ),
    "DBOS102": _rule(
        "removed-config-key",
        "DBOSConfig key {key!r} was removed in DBOS 3.x; {hint}",
        "lifecycle-config",
        "`DBOSConfig` keys removed in 3.x (`database_url`, `application_database_url`, `app_db_*`, "
        "`sys_db_name`, `admin_port`), also in a dict returned by a `-> DBOSConfig` function",
    ),
    "DBOS103": _rule(
        "removed-framework-arg",
        "DBOS({arg}=...) was removed in DBOS 3.x; pass only config=... and launch DBOS from the app's lifespan or main",
        "lifecycle-web-frameworks",
        "`DBOS(fastapi=...)`, `DBOS(flask=...)` (removed in 3.x)",
    ),
    "DBOS104": _rule(
        "dbos-at-import",
        "DBOS(...) is constructed at import time: importing this module reads the config and claims the one "
        "DBOS instance; construct it in main() or a lifespan",
        "lifecycle-launch",
        "`DBOS(...)` constructed at module import time (`dbos init`'s template does this)",
        opt_in=True,
    ),
    "DBOS201": _rule(
        "nondeterministic-call",
        "{call} in a workflow gives a different value on replay; "
        "move it into a step or pass the value in as an argument",
        "workflow-determinism",
        "non-deterministic call in a workflow body (`time.time`, `random.*`, `uuid.uuid4`, `datetime.now`, "
        "`os.environ`/`os.getenv` reads, ...), also through a same-module helper it calls",
        in_tests=_TEST_CLOCK,
    ),
    "DBOS202": _rule(
        "io-in-workflow",
        "{call} in a workflow {hint}",
        "workflow-determinism",
        "I/O in a workflow body outside a step (`open`, `requests`, `httpx`, `urllib`, `socket`, `subprocess`, "
        "database cursors and connections, `time.sleep`, ...)",
        in_tests="sleeps skipped (they simulate work)",
    ),
    "DBOS203": _rule(
        "module-state-in-workflow",
        "module state {names} changed in workflow {func}: the change is not checkpointed, "
        "so a replay repeats it and a new process starts from scratch; return values instead",
        "workflow-determinism",
        "module-level state changed in a workflow body (`global x; x = ...`, `x.append(...)`, `x[k] = ...`)",
        in_tests="skipped (counters are instrumentation)",
    ),
    "DBOS204": _rule(
        "start-workflow-id-kwarg",
        "{call}(..., workflow_id=...) passes workflow_id to the "
        "workflow function; wrap the call in `with SetWorkflowID(...)`",
        "workflow-background-handles",
        "`DBOS.start_workflow(..., workflow_id=...)` (the keyword is forwarded to the workflow function)",
    ),
    "DBOS205": _rule(
        "workflow-in-thread",
        "workflow {func} started through {via}; use DBOS.start_workflow or a queue to run it in the background",
        "workflow-background-handles",
        "a workflow started from a thread (`threading.Thread(target=wf)`, `executor.submit(wf)`)",
    ),
    "DBOS206": _rule(
        "sync-call-in-async",
        "{call}() raises RuntimeError inside a running event loop (async {kind} {func}); use `await {call}_async(...)`",
        "workflow-async",
        "a DBOS method that raises RuntimeError in a running event loop, called in any `async def` "
        "(workflow, step, lifespan, endpoint); its `_async` twin exists",
    ),
    "DBOS207": _rule(
        "blocking-call-in-async",
        "{call}() blocks the event loop in async {kind} {func}; use `await {call}_async(...)`",
        "workflow-async",
        "`DBOS.start_workflow`, `DBOS.enqueue_workflow` or `queue.enqueue` in an async workflow or step",
    ),
    "DBOS208": _rule(
        "thread-in-workflow",
        "{call} in workflow {func} runs outside its checkpoints: a replay starts it again and nothing "
        "waits for it durably; start a workflow, enqueue it, or await a step",
        "workflow-determinism",
        "`threading.Thread(...)`, `asyncio.create_task(...)` or `asyncio.ensure_future(...)` in a workflow body",
    ),
    "DBOS301": _rule(
        "workflow-op-in-step",
        "{call} inside step {func}; start workflows, recv and sleep from the workflow, not from a step",
        "step-basics",
        "`DBOS.start_workflow`/`enqueue_workflow`/`recv`/`sleep`, or a workflow call, inside a step",
    ),
    "DBOS302": _rule(
        "removed-transaction",
        "{what} was removed in DBOS 3.x; use a step, or "
        "SQLAlchemyDatasource with @ds.transaction() and ds.sql_session()",
        "step-transactions",
        "`@DBOS.transaction` or `DBOS.sql_session` (removed in 3.x)",
    ),
    "DBOS303": _rule(
        "recv-outside-workflow",
        "{call}() {where}, not in a workflow: it raises DBOSException; receive in the workflow "
        "(or call this from one) and pass the message on",
        "comm-messages",
        "`DBOS.recv` at module level, in `__main__`, or in a plain function that only non-workflow code calls "
        "(an endpoint, main)",
    ),
    "DBOS401": _rule(
        "queue-constructor",
        "Queue(...) cannot be constructed in DBOS 3.x; use "
        "DBOS.register_queue(...) after DBOS.launch(), or DBOS.retrieve_queue(...)",
        "queue-basics",
        "`Queue(...)` constructed directly (removed in 3.x)",
    ),
    "DBOS402": _rule(
        "register-queue-before-launch",
        "DBOS.register_queue(...) {when}; it writes to the system database, so call it after DBOS.launch()",
        "queue-basics",
        "`DBOS.register_queue(...)` at import time, or between `DBOS(...)` and `DBOS.launch()`",
    ),
    "DBOS403": _rule(
        "missing-partition-key",
        "enqueue on partitioned queue {queue} without "
        "queue_partition_key: the workflow is never dequeued; wrap it in "
        "`with SetEnqueueOptions(queue_partition_key=...)`",
        "queue-partitioning",
        "enqueue on a queue registered with a `partition_*` limit (resolved by scope) without `queue_partition_key`",
    ),
    "DBOS601": _rule(
        "removed-scheduled",
        "@DBOS.scheduled was removed in DBOS 3.x; register the workflow "
        "with DBOS.create_schedule(...) or DBOS.apply_schedules(...)",
        "pattern-scheduled",
        "`@DBOS.scheduled` (removed in 3.x)",
    ),
}

# Every DBOS classmethod `x` that has an `x_async` twin in dbos 3.4 (tests compare with the installed dbos).
ASYNC_VARIANTS = frozenset(
    {
        "apply_schedules",
        "cancel_workflow",
        "cancel_workflows",
        "close_stream",
        "create_schedule",
        "delete_queue",
        "delete_schedule",
        "delete_workflow",
        "delete_workflows",
        "deprecate_patch",
        "enqueue_workflow",
        "enqueue_workflow_with_options",
        "fork_workflow",
        "get_all_events",
        "get_event",
        "get_latest_application_version",
        "get_result",
        "get_schedule",
        "get_workflow_status",
        "list_application_versions",
        "list_queued_workflows",
        "list_queues",
        "list_schedules",
        "list_workflow_steps",
        "list_workflows",
        "patch",
        "read_stream",
        "read_stream_offset",
        "recv",
        "register_queue",
        "resume_workflow",
        "resume_workflows",
        "retrieve_queue",
        "retrieve_workflow",
        "rewind_workflow",
        "run_step",
        "send",
        "send_bulk",
        "set_event",
        "set_latest_application_version",
        "set_workflow_delay",
        "sleep",
        "start_workflow",
        "update_workflow_attributes",
        "wait_first",
        "write_stream",
    }
)
# The DBOS classmethods that call check_async(): they raise RuntimeError in a running event loop
# (tests compare with the installed dbos source).
RAISES_IN_LOOP = frozenset(
    {
        "cancel_workflows",
        "close_stream",
        "delete_queue",
        "delete_workflows",
        "deprecate_patch",
        "fork_workflow",
        "get_all_events",
        "get_event",
        "get_result",
        "get_workflow_status",
        "list_queued_workflows",
        "list_queues",
        "list_workflow_steps",
        "list_workflows",
        "patch",
        "read_stream",
        "read_stream_offset",
        "recv",
        "register_queue",
        "resume_workflow",
        "resume_workflows",
        "retrieve_queue",
        "retrieve_workflow",
        "rewind_workflow",
        "run_step",
        "send",
        "send_bulk",
        "set_event",
        "set_workflow_delay",
        "sleep",
        "update_workflow_attributes",
        "wait_first",
        "write_stream",
    }
)

_APP_DB = "there is no application database; use system_database_url (SQLAlchemyDatasource for app tables)"
REMOVED_CONFIG_KEYS: dict[str, str] = {
    "database_url": _APP_DB,
    "application_database_url": _APP_DB,
    "sys_db_name": "put the database name in system_database_url",
    "admin_port": "the HTTP admin server is gone",
    "run_admin_server": "the HTTP admin server is gone",
}
_CLOCK_CALLS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)
_ENV_CALLS = frozenset({"os.getenv", "os.environ.get"})
_NONDET_CALLS = _CLOCK_CALLS | _ENV_CALLS | {"uuid.uuid1", "uuid.uuid4", "os.urandom"}
_NONDET_MODULES = ("random.", "secrets.")
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep"})
_IO_CALLS = frozenset(
    {
        "builtins.open",
        "builtins.input",
        "io.open",
        "os.system",
        "os.popen",
        "sqlite3.connect",
        "sqlalchemy.create_engine",
        "requests.Session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "subprocess.Popen",
        "smtplib.SMTP",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
    }
)
_IO_MODULES = (
    "requests.",
    "httpx.",
    "aiohttp.",
    "urllib.request.",
    "urllib3.",
    "socket.",
    "subprocess.",
    "psycopg.",
    "psycopg2.",
    "asyncpg.",
    "smtplib.",
    "ftplib.",
)
_DB_METHODS = frozenset({"execute", "executemany", "executescript", "cursor", "commit"})
_ENGINE_METHODS = frozenset({"begin", "connect"})
_TASKS = frozenset({"threading.Thread", "asyncio.create_task", "asyncio.ensure_future"})
_BUILTINS = frozenset({"open", "input"})
_STARTERS = {"start_workflow": 0, "start_workflow_async": 0, "enqueue_workflow": 1, "enqueue_workflow_async": 1}
_NOT_IN_STEP = frozenset(
    {
        "recv",
        "recv_async",
        "sleep",
        "sleep_async",
        "enqueue_workflow_with_options",
        "enqueue_workflow_with_options_async",
        *_STARTERS,
    }
)
_BLOCKING = frozenset({"start_workflow", "enqueue_workflow", "enqueue_workflow_with_options"})
_MUTATORS = frozenset(
    {"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "add", "discard", "setdefault"}
)
_SKIP_DIRS = frozenset({".venv", "venv", "__pycache__", "node_modules"})
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<ids>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_PY_SUFFIXES = (".py", ".pyi", ".pyw")


def is_test_file(path: str) -> bool:
    """test_*.py, *_test.py or conftest.py: pytest's test modules."""
    name = Path(path).name
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    id: str
    message: str
    reference: str
    slots: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)  # the template's values

    def __str__(self) -> str:
        see = f" (see {self.reference})" if self.reference else ""
        return f"{self.path}:{self.line}:{self.col}: {self.id} {self.message}{see}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "id": self.id,
            "name": RULES[self.id].name,
            "message": self.message,
            "reference": self.reference,
        }


# ---- syntax helpers


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _strip(node: ast.expr) -> ast.expr:
    """`@DBOS.step()` and `@DBOS.step` name the same decorator; `await x` and `x` the same value."""
    while isinstance(node, (ast.Call, ast.Await)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _walk_own(nodes: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of a body, not descending into nested functions, classes or lambdas."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _kwarg(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _arg(call: ast.Call, index: int, name: str = "") -> ast.expr | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return _kwarg(call, name) if name else None


def _partitioned(call: ast.Call) -> bool:
    return any(k.arg and k.arg.startswith("partition_") for k in call.keywords)


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _mentions_launch(test: ast.expr) -> bool:
    """`if launched:`, `if dbos._launched:`: code that only runs once DBOS is launched."""
    return any(
        "launch" in (n.id if isinstance(n, ast.Name) else n.attr).lower()
        for n in ast.walk(test)
        if isinstance(n, (ast.Name, ast.Attribute))
    )


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


_MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_MUTABLE_CALLS = frozenset({"list", "dict", "set", "defaultdict", "deque", "Counter", "OrderedDict"})


def _mutable(value: ast.expr | None) -> bool:
    if isinstance(value, _MUTABLE):
        return True
    if isinstance(value, ast.Call):
        name = _dotted(value.func) or ""
        return name.rsplit(".", 1)[-1] in _MUTABLE_CALLS
    return False


# ---- the checker: one walk, scope by scope


@dataclass(eq=False)
class _Frame:
    kind: str  # module | main | class | function | workflow | step
    scope: int  # id() of the function, lambda, class or module node
    parent: _Frame | None = None
    node: ast.AST | None = None
    import_time: bool = False
    is_async: bool = False
    name: str = ""
    top_level: bool = False  # a function defined directly in the module body
    returns_config: bool = False  # annotated `-> DBOSConfig`
    keyed: int = 0  # enclosing `with SetEnqueueOptions(queue_partition_key=...)` blocks
    launched: int = 0  # enclosing `if <...launched...>:` blocks at import time
    events: list[tuple[int, int, str, ast.Call]] = field(default_factory=list)  # construct/launch/register

    def chain(self) -> Iterator[_Frame]:
        frame: _Frame | None = self
        while frame is not None:
            yield frame
            frame = frame.parent


class _Exit(ast.AST):
    """Pushed after a block's statements: leaving it ends a `with`/`if` condition."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


# Fields that never hold a node (identifiers, numbers, operators, contexts): never read during the walk.
_SCALAR_FIELDS = frozenset(
    {"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "arg", "asname", "module", "level", "name"}
    | {"is_async", "conversion", "rest", "lineno", "col_offset", "end_lineno", "end_col_offset"}
)
_NOT_WALKED = frozenset({ast.Name, ast.Constant, str, type(None)})  # nothing below them matters
_Plans = dict[type, tuple["Handler | None", tuple[str, ...]]]
_PLANS: _Plans = {}
_PLANS_NO_ATTRIBUTE: _Plans = {}  # for sources that never mention sql_session: Attribute needs no handler


def _plan(cls: type, plans: _Plans) -> tuple[Handler | None, tuple[str, ...]]:
    """How to walk a node class: its handler, and its node fields last to first (the stack reverses them)."""
    fields = () if cls is ast.Constant else getattr(cls, "_fields", ())
    handler = None if plans is _PLANS_NO_ATTRIBUTE and cls is ast.Attribute else _HANDLERS.get(cls)
    plan = plans[cls] = (handler, tuple(reversed([f for f in fields if f not in _SCALAR_FIELDS])))
    return plan


Handler = Callable[["_Checker", ast.AST, _Frame], bool]


class _Checker:
    """Walks one module once; records findings through report()."""

    def __init__(self, tree: ast.Module, path: str, source: str) -> None:
        self.path = path
        self.is_test = is_test_file(path)
        self.sql_session = "sql_session" in source
        self.root = _Frame("module", id(tree), node=tree, import_time=True)
        self.aliases: dict[str, str] = {}
        self.findings: list[Finding] = []
        self.pending: list[tuple[list[ast.AST], _Frame]] = []
        self.deferred: list[Callable[[], None]] = []
        self.wf_funcs: dict[str, tuple[bool, frozenset[str]]] = {}  # name -> (is_async, params)
        self.wf_methods: dict[str, tuple[bool, frozenset[str]]] = {}
        self.strings: dict[tuple[int, str], str] = {}
        self.dicts: dict[tuple[int, str], ast.Dict] = {}
        self.queue_vars: dict[tuple[int, str], tuple[str | None, bool]] = {}  # (queue name, partitioned)
        self.queue_regs: dict[str, dict[int, bool]] = {}  # queue name -> scope -> partitioned
        self.config_vars: set[tuple[int, str]] = set()
        self.subscript_keys: dict[tuple[int, str], list[ast.expr]] = {}
        self.datasources: set[str] = set()
        self.module_state: set[str] = set()
        self.helpers: dict[str, str] = {}  # top-level plain function -> "time.time() on line 3"
        self.sleep_args: set[int] = set()
        self.waits: set[int] = set()  # workflows that call DBOS.asyncio_wait
        self.reserves = False
        self.frames: list[_Frame] = []
        self.stored: dict[int, set[str]] = {}
        self.callers: dict[str, set[str]] = {}  # function name -> kinds of frames that call it by name
        self.stack: list[ast.AST] = []

    # ---- driver
    def run(self, tree: ast.Module) -> None:
        self.pending.append((list(tree.body), self.root))
        plans = _PLANS if self.sql_session else _PLANS_NO_ATTRIBUTE
        skip = _NOT_WALKED
        index = 0
        while index < len(self.pending):
            body, frame = self.pending[index]
            index += 1
            self.frames.append(frame)
            stack = self.stack = list(reversed(body))
            push = stack.append
            while stack:
                node = stack.pop()
                cls = type(node)
                handler, fields = plans.get(cls) or _plan(cls, plans)
                if handler is not None and handler(self, node, frame):
                    continue
                for name in fields:
                    value: Any = getattr(node, name, None)
                    if type(value) is list:
                        for item in reversed(value):
                            if type(item) not in skip:
                                push(item)
                    elif type(value) not in skip:
                        push(value)
        if not any(v.split(".")[0] == "dbos" for v in self.aliases.values()):
            self.findings.clear()
            return
        for check in self.deferred:
            check()
        for frame in self.frames:
            self._order(frame)
        self._config_vars()

    def report(self, rule_id: str, node: ast.AST, **slots: str) -> None:
        rule = RULES[rule_id]
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        message = rule.message.format(**slots)
        self.findings.append(Finding(self.path, line, col, rule_id, message, rule.reference, tuple(slots.items())))

    # ---- names
    def resolve(self, node: ast.AST) -> str | None:
        """The imported thing an expression names, e.g. `D.step` -> `dbos.DBOS.step`."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return f"builtins.{head}" if head in _BUILTINS and not rest else None
        return f"{target}.{rest}" if rest else target

    def lookup(self, table: dict[tuple[int, str], _V], frame: _Frame, node: ast.AST | None) -> _V | None:
        """A variable's entry in the innermost enclosing scope that has one."""
        if not isinstance(node, ast.Name):
            return None
        for f in frame.chain():
            found = table.get((f.scope, node.id))
            if found is not None:
                return found
        return None

    def decorator_kind(self, dec: ast.expr) -> str | None:
        target = _strip(dec)
        q = self.resolve(target)
        if q == "dbos.DBOS.workflow":
            return "workflow"
        if q in ("dbos.DBOS.step", "dbos.DBOS.transaction"):
            return "step"
        if (
            isinstance(target, ast.Attribute)
            and target.attr == "transaction"
            and _dotted(target.value) in self.datasources
        ):
            return "step"
        return None

    def queue_name(self, node: ast.expr | None, frame: _Frame) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.lookup(self.strings, frame, node)
        if isinstance(node, ast.Attribute) and node.attr == "name":
            return (self.lookup(self.queue_vars, frame, node.value) or (None, False))[0]
        return None

    def partitioned(self, name: str, frame: _Frame) -> bool:
        """Whether queue `name` is partitioned where `frame` uses it: the nearest registration in scope,
        else every registration in the module agrees."""
        regs = self.queue_regs.get(name)
        if not regs:
            return False
        for f in frame.chain():
            if f.scope in regs:
                return regs[f.scope]
        return all(regs.values())

    def workflow(self, node: ast.expr | None) -> tuple[str, bool, frozenset[str]] | None:
        """(display name, is_async, params) when `node` names a workflow function of this module."""
        if isinstance(node, ast.Name) and node.id in self.wf_funcs:
            return (node.id, *self.wf_funcs[node.id])
        if isinstance(node, ast.Attribute) and node.attr in self.wf_methods:
            return (_dotted(node) or node.attr, *self.wf_methods[node.attr])
        return None

    # ---- scopes
    def _function(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        kind = "function"
        for dec in node.decorator_list:
            q = self.resolve(_strip(dec))
            if q == "dbos.DBOS.scheduled":
                self.report("DBOS601", dec)
            elif q == "dbos.DBOS.transaction":
                self.report("DBOS302", dec, what="@DBOS.transaction")
            found = self.decorator_kind(dec)
            kind = "workflow" if "workflow" in (kind, found) else found or kind
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if kind == "workflow":
            table = self.wf_methods if frame.kind == "class" else self.wf_funcs
            params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            table[node.name] = (is_async, frozenset(a.arg for a in params))
        inner = _Frame(
            kind,
            id(node),
            frame,
            node,
            is_async=is_async,
            name=node.name,
            top_level=frame.kind in ("module", "main"),
            returns_config=node.returns is not None and self.resolve(node.returns) == "dbos.DBOSConfig",
        )
        self.pending.append((list(node.body), inner))
        self._visit_now(frame, [*node.decorator_list, node.args, *([node.returns] if node.returns else [])])
        return True

    def _visit_now(self, frame: _Frame, nodes: list[ast.AST]) -> None:
        """Walk `nodes` next, in the current scope (decorators, defaults, bases, blocks)."""
        self.stack.extend(reversed(nodes))

    def _class(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.ClassDef)
        inner = _Frame("class", id(node), frame, node, import_time=frame.import_time, name=node.name)
        self.pending.append((list(node.body), inner))
        self._visit_now(frame, [*node.decorator_list, *node.bases, *node.keywords])
        return True

    def _lambda(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Lambda)
        self.pending.append(([node.body], _Frame("function", id(node), frame, node, name="<lambda>")))
        self._visit_now(frame, [node.args])
        return True

    def _if(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.If)
        if frame.kind == "module" and _is_main_guard(node.test):
            self.pending.append((list(node.body), _Frame("main", frame.scope, frame, node, name="__main__")))
            self._visit_now(frame, list(node.orelse))
            return True
        if frame.import_time and _mentions_launch(node.test):
            frame.launched += 1
            self._push_block(frame, node.test, node.body, "launched", node.orelse)
            return True
        return False

    def _push_block(self, frame: _Frame, head: ast.AST, body: list[ast.stmt], what: str, after: list[ast.stmt]) -> None:
        """Walk `head`, then `body` under a condition, then `after`, in the current scope."""
        self._visit_now(frame, [head, *body, _Exit(what), *after])

    def _with(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, (ast.With, ast.AsyncWith))
        if not any(self._sets_partition_key(item.context_expr) for item in node.items):
            return False
        frame.keyed += 1
        self._push_block(
            frame, ast.Tuple(elts=[i.context_expr for i in node.items], ctx=ast.Load()), node.body, "keyed", []
        )
        return True

    def _exit(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, _Exit)
        if node.what == "keyed":
            frame.keyed -= 1
        else:
            frame.launched -= 1
        return True

    def _sets_partition_key(self, node: ast.expr) -> bool:
        if not (isinstance(node, ast.Call) and self.resolve(node.func) == "dbos.SetEnqueueOptions"):
            return False
        key = _kwarg(node, "queue_partition_key")
        return key is not None and not (isinstance(key, ast.Constant) and key.value is None)

    # ---- statements
    def _import(self, node: ast.AST, frame: _Frame) -> bool:
        if isinstance(node, ast.Import):
            for a in node.names:
                self.aliases[a.asname or a.name.split(".")[0]] = _canon(a.name if a.asname else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name != "*":
                    self.aliases[a.asname or a.name] = f"{_canon(node.module)}.{a.name}"
        return True

    def _assign(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, (ast.Assign, ast.AnnAssign))
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                self._bind(frame, target.id, value)
                if isinstance(node, ast.AnnAssign) and self.resolve(node.annotation) == "dbos.DBOSConfig":
                    self.config_vars.add((frame.scope, target.id))
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                self.subscript_keys.setdefault((frame.scope, target.value.id), []).append(target.slice)
        return False

    def _bind(self, frame: _Frame, name: str, value: ast.expr | None) -> None:
        key = (frame.scope, name)
        if frame.kind == "module" and _mutable(value):
            self.module_state.add(name)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.strings[key] = value.value
        elif isinstance(value, ast.Dict):
            self.dicts[key] = value
        call = value.value if isinstance(value, ast.Await) else value
        if not isinstance(call, ast.Call):
            return
        q = self.resolve(call.func) or ""
        if q == "dbos.DBOS":  # `app = DBOS(...)`, then `app.launch()`
            self.aliases[name] = "dbos.DBOS"
        elif q.startswith(("dbos.DBOS.register_queue", "dbos.DBOS.retrieve_queue")):
            queue = self.queue_name(_arg(call, 0, "name"), frame)
            explicit = q.startswith("dbos.DBOS.register_queue") and _partitioned(call)
            self.queue_vars[key] = (queue, explicit)
            if queue and not q.startswith("dbos.DBOS.register_queue"):
                self.deferred.append(lambda: self._retrieved(key, queue, frame))
        elif q.endswith("SQLAlchemyDatasource.create"):
            self.datasources.add(name)
        elif self.decorator_kind(call.func) == "workflow" and call.args:
            self.wf_funcs[name] = (False, frozenset())  # name = DBOS.workflow()(func)

    def _retrieved(self, key: tuple[int, str], queue: str, frame: _Frame) -> None:
        self.queue_vars[key] = (queue, self.partitioned(queue, frame))

    def _global(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Global)
        if frame.kind == "workflow" and not self.is_test:
            self.deferred.append(lambda: self._global_assigned(node, frame))
        return True

    def _global_assigned(self, node: ast.Global, frame: _Frame) -> None:
        assert isinstance(frame.node, (ast.FunctionDef, ast.AsyncFunctionDef))
        stored = self._stored(frame.node)
        names = [n for n in node.names if n in stored]
        if names:
            self.report("DBOS203", node, names=", ".join(names), func=frame.name)

    def _return(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Return)
        if frame.returns_config and isinstance(node.value, ast.Dict):
            self._config_keys(node.value.keys)
        return False

    def _config_keys(self, keys: Iterable[ast.expr | None]) -> None:
        for key in keys:
            name = _str(key)
            if name is None or key is None:
                continue
            hint = REMOVED_CONFIG_KEYS.get(name) or (_APP_DB if name.startswith("app_db_") else None)
            if hint:
                self.report("DBOS102", key, key=name, hint=hint)

    def _config_vars(self) -> None:
        for key in self.config_vars:
            found = self.dicts.get(key)
            self._config_keys([*(found.keys if found else []), *self.subscript_keys.get(key, [])])

    # ---- expressions
    def _subscript(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Subscript)
        if frame.kind != "workflow":
            return False
        if isinstance(node.ctx, ast.Load):
            if not self.is_test and self.resolve(node.value) == "os.environ":
                self.report("DBOS201", node, call="os.environ[...]")
        elif self._module_state(node.value, frame):
            self.report("DBOS203", node, names=_dotted(node.value) or "", func=frame.name)
        return False

    def _module_state(self, node: ast.expr, frame: _Frame) -> bool:
        """`node` is a module-level list/dict/set that the workflow does not rebind locally."""
        if self.is_test or not isinstance(node, ast.Name) or node.id not in self.module_state:
            return False
        func = frame.node
        assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
        params = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
        return node.id not in params and node.id not in self._stored(func)

    def _stored(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        """Names a function body assigns or deletes (computed once per function)."""
        found = self.stored.get(id(func))
        if found is None:
            found = self.stored[id(func)] = {
                n.id
                for n in _walk_own(func.body)
                if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
            }
        return found

    def _compare(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Compare)
        if (
            frame.kind == "workflow"
            and not self.is_test
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and any(self.resolve(c) == "os.environ" for c in node.comparators)
        ):
            self.report("DBOS201", node, call="`in os.environ`")
        return False

    def _attribute(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Attribute)
        if node.attr == "sql_session" and self.resolve(node) == "dbos.DBOS.sql_session":
            self.report("DBOS302", node, what="DBOS.sql_session")
        return False

    # ---- calls
    def _call(self, node: ast.AST, frame: _Frame) -> bool:
        assert isinstance(node, ast.Call)
        func = node.func
        q = self.resolve(func) or ""
        op = q[10:] if q.startswith("dbos.DBOS.") else ""  # a DBOS classmethod
        attr = func.attr if isinstance(func, ast.Attribute) else ""
        kind = frame.kind
        if q.startswith("dbos."):
            self._lifecycle(node, q, frame)
            self.reserves = self.reserves or q == "dbos.DBOS.reserve_step"
        if kind == "workflow":
            self._workflow_body(node, q, attr, frame)
        elif kind == "function" and frame.top_level and not q.startswith("dbos."):
            self._helper(node, q, frame)
        queue = self._queue_enqueue(node, attr, frame)
        step_op = kind == "step" and self._step_body(node, op, queue, frame)
        if frame.is_async and not step_op:
            self._async_body(node, op, attr, queue, frame)
        if isinstance(func, ast.Name):
            self.callers.setdefault(func.id, set()).add(kind)
        if op in ("recv", "recv_async") and kind not in ("workflow", "step"):
            self._recv(node, op, frame)
        if op in _STARTERS or queue is not None:
            self._starts(node, op, queue, frame)
        if not frame.keyed and (queue is not None or op.startswith("enqueue_workflow") or attr == "enqueue"):
            self._partition(node, op, attr, queue, frame)
        if q in ("threading.Thread", "multiprocessing.Process", "asyncio.to_thread") or attr in (
            "submit",
            "map",
            "run_in_executor",
        ):
            self.deferred.append(lambda: self._threads(node, q, attr))
        return False

    def _recv(self, node: ast.Call, op: str, frame: _Frame) -> None:
        call = _dotted(node.func) or op
        if frame.kind in ("module", "main", "class"):
            where = "runs in __main__" if frame.kind == "main" else "runs at import time"
            self.report("DBOS303", node, call=call, where=where)
        elif frame.top_level and isinstance(frame.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.deferred.append(lambda: self._recv_in_function(node, call, frame))

    def _recv_in_function(self, node: ast.Call, call: str, frame: _Frame) -> None:
        """Flag only with evidence: the function is an endpoint (decorated) or only non-workflow code calls it."""
        func = frame.node
        assert isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
        callers = self.callers.get(frame.name, set())
        if "workflow" in callers or ("function" in callers and not func.decorator_list):
            return  # called from a workflow, or from helpers that may be
        if func.decorator_list:
            where = f"runs in {frame.name}, a decorated function (an endpoint?)"
        elif callers:
            where = f"runs in {frame.name}, called from {' and '.join(sorted(callers))} code"
        else:
            return  # never called here: other modules may call it from a workflow
        self.report("DBOS303", node, call=call, where=where)

    def _lifecycle(self, node: ast.Call, q: str, frame: _Frame) -> None:
        if q == "dbos.DBOS":
            if frame.import_time:
                self.report("DBOS104", node)
            frame.events.append((node.lineno, node.col_offset, "construct", node))
            for kw in node.keywords:
                if kw.arg in ("fastapi", "flask"):
                    self.report("DBOS103", node, arg=kw.arg)
            config = _kwarg(node, "config")
            if isinstance(config, ast.Dict):
                self._config_keys(config.keys)
            elif isinstance(config, ast.Name):
                scope = next((f.scope for f in frame.chain() if (f.scope, config.id) in self.dicts), self.root.scope)
                self.config_vars.add((scope, config.id))
        elif q == "dbos.DBOS.launch":
            if frame.import_time and not frame.launched:
                self.report("DBOS101", node)
            frame.events.append((node.lineno, node.col_offset, "launch", node))
        elif q == "dbos.DBOSConfig":
            self._config_keys(
                ast.Constant(k.arg, lineno=k.lineno, col_offset=k.col_offset) for k in node.keywords if k.arg
            )
        elif q == "dbos.Queue":
            token = _kwarg(node, "token")
            if token is None or isinstance(token, ast.Constant):  # dbos itself passes its private token
                self.report("DBOS401", node)
        elif q in ("dbos.DBOS.register_queue", "dbos.DBOS.register_queue_async"):
            name = self.queue_name(_arg(node, 0, "name"), frame)
            if name:
                self.queue_regs.setdefault(name, {})[frame.scope] = _partitioned(node) or bool(
                    self.queue_regs.get(name, {}).get(frame.scope)
                )
            if q == "dbos.DBOS.register_queue":
                if frame.import_time and not frame.launched:
                    self.report("DBOS402", node, when="runs at import time")
                else:
                    frame.events.append((node.lineno, node.col_offset, "register", node))

    def _order(self, frame: _Frame) -> None:
        """DBOS402: register_queue after DBOS(...) and before the next DBOS.launch() in the same body."""
        constructed = False
        for _, _, event, node in sorted(frame.events, key=lambda e: e[:2]):
            if event == "construct":
                constructed = True
            elif event == "launch":
                constructed = False
            elif constructed:
                self.report("DBOS402", node, when="runs before DBOS.launch()")

    def _nondet(self, node: ast.Call, q: str) -> bool:
        if q in _NONDET_CALLS:
            return not (self.is_test and (q in _CLOCK_CALLS or q in _ENV_CALLS))
        return q.startswith(_NONDET_MODULES) and q != "random.seed" and not (q == "random.Random" and bool(node.args))

    def _workflow_body(self, node: ast.Call, q: str, attr: str, frame: _Frame) -> None:
        call = f"{_dotted(node.func) or q}()"
        if q in _SLEEPS:
            self.sleep_args.update(id(a) for a in node.args)
            if not self.is_test:
                hint = "is not durable: after recovery the wait starts over; use DBOS.sleep / DBOS.sleep_async"
                self.report("DBOS202", node, call=call, hint=hint)
        elif self._nondet(node, q):
            if id(node) not in self.sleep_args:  # a random pause changes no result
                self.report("DBOS201", node, call=call)
        elif q in _IO_CALLS or (q.startswith(_IO_MODULES) and q.rsplit(".", 1)[-1][:1].islower()):
            self.report("DBOS202", node, call=call, hint="runs again on every replay; move it into a step")
        elif q in _TASKS:
            self.deferred.append(lambda: self._task(node, call, frame))
        elif q == "dbos.DBOS.asyncio_wait":  # tasks raced by DBOS.asyncio_wait are checkpointed
            self.waits.add(frame.scope)
        elif not q.startswith("dbos.") and (
            attr in _DB_METHODS
            or (attr in _ENGINE_METHODS and (q.startswith("sqlalchemy.") or call.lower().endswith(f"engine.{attr}()")))
        ):
            hint = "is database I/O: it runs again on every replay; move it into a step or a @ds.transaction()"
            self.report("DBOS202", node, call=call, hint=hint)
        elif isinstance(node.func, ast.Name) and not q:
            name = node.func.id
            self.deferred.append(lambda: self._helper_call(node, name))
        if attr in _MUTATORS and isinstance(node.func, ast.Attribute) and self._module_state(node.func.value, frame):
            self.report("DBOS203", node, names=_dotted(node.func.value) or "", func=frame.name)

    def _task(self, node: ast.Call, call: str, frame: _Frame) -> None:
        # Tasks raced by DBOS.asyncio_wait, or running DBOS.reserve_step() reservations, are checkpointed.
        if not self.reserves and frame.scope not in self.waits:
            self.report("DBOS208", node, call=call, func=frame.name)

    def _helper(self, node: ast.Call, q: str, frame: _Frame) -> None:
        """Remember the first non-deterministic call of a top-level plain function."""
        if frame.name not in self.helpers and q and self._nondet(node, q):
            self.helpers[frame.name] = f"{_dotted(node.func) or q}() on line {node.lineno}"

    def _helper_call(self, node: ast.Call, name: str) -> None:
        found = self.helpers.get(name)
        if found and name not in self.wf_funcs:
            self.report("DBOS201", node, call=f"{name}() (it calls {found})")

    def _step_body(self, node: ast.Call, op: str, queue: tuple[str | None, bool] | None, frame: _Frame) -> bool:
        if op in _NOT_IN_STEP or queue is not None:
            self.report("DBOS301", node, call=f"{_dotted(node.func)}()", func=frame.name)
            return True
        if isinstance(node.func, (ast.Name, ast.Attribute)):
            self.deferred.append(lambda: self._workflow_in_step(node, frame))
        return False

    def _workflow_in_step(self, node: ast.Call, frame: _Frame) -> None:
        wf = self.workflow(node.func)
        if wf:
            self.report("DBOS301", node, call=f"workflow call {wf[0]}()", func=frame.name)

    def _async_body(
        self, node: ast.Call, op: str, attr: str, queue: tuple[str | None, bool] | None, frame: _Frame
    ) -> None:
        call = _dotted(node.func) or op
        kind = frame.kind if frame.kind in ("workflow", "step") else "function"
        if op in RAISES_IN_LOOP:
            self.report("DBOS206", node, call=call, kind=kind, func=frame.name)
        elif frame.kind in ("workflow", "step") and (op in _BLOCKING or (queue is not None and attr == "enqueue")):
            self.deferred.append(lambda: self._blocking(node, op, call, kind, frame))

    def _blocking(self, node: ast.Call, op: str, call: str, kind: str, frame: _Frame) -> None:
        if op != "enqueue_workflow_with_options":  # a sync workflow has no _async way to start it
            wf = self.workflow(_arg(node, _STARTERS.get(op, 0), "func"))
            if wf and not wf[1]:
                return
        self.report("DBOS207", node, call=call, kind=kind, func=frame.name)

    def _queue_enqueue(self, node: ast.Call, attr: str, frame: _Frame) -> tuple[str | None, bool] | None:
        """(queue name, partitioned) when the call is `<known queue variable>.enqueue[_async](...)`."""
        if attr in ("enqueue", "enqueue_async"):
            assert isinstance(node.func, ast.Attribute)
            return self.lookup(self.queue_vars, frame, node.func.value)
        return None

    def _starts(self, node: ast.Call, op: str, queue: tuple[str | None, bool] | None, frame: _Frame) -> None:
        index = _STARTERS.get(op, 0)
        if _kwarg(node, "workflow_id") is not None:
            self.deferred.append(lambda: self._workflow_id_kwarg(node, index, op))

    def _workflow_id_kwarg(self, node: ast.Call, index: int, op: str) -> None:
        wf = self.workflow(_arg(node, index, "func"))
        if not (wf and "workflow_id" in wf[2]):
            self.report("DBOS204", node, call=_dotted(node.func) or op)

    def _partition(
        self, node: ast.Call, op: str, attr: str, queue: tuple[str | None, bool] | None, frame: _Frame
    ) -> None:
        if queue is not None:
            self.deferred.append(lambda: self._partition_var(node, frame))
            return
        if op in ("enqueue_workflow", "enqueue_workflow_async"):
            name = self.queue_name(_arg(node, 0, "queue_name"), frame)
        elif node.args and (op.startswith("enqueue_workflow_with_options") or attr in ("enqueue", "enqueue_async")):
            opts = self.lookup(self.dicts, frame, node.args[0]) or node.args[0]
            if not isinstance(opts, ast.Dict):
                return
            keys = {k.value: v for k, v in zip(opts.keys, opts.values, strict=True) if isinstance(k, ast.Constant)}
            if "queue_partition_key" in keys:
                return
            name = self.queue_name(keys.get("queue_name"), frame)
        else:
            return
        if name:
            self.deferred.append(lambda: self._partition_name(node, name, frame))

    def _partition_var(self, node: ast.Call, frame: _Frame) -> None:
        assert isinstance(node.func, ast.Attribute)
        queue = self.lookup(self.queue_vars, frame, node.func.value)
        if queue and queue[1]:
            self.report("DBOS403", node, queue=repr(queue[0] or _dotted(node.func.value) or ""))

    def _partition_name(self, node: ast.Call, name: str, frame: _Frame) -> None:
        if self.partitioned(name, frame):
            self.report("DBOS403", node, queue=repr(name))

    def _threads(self, node: ast.Call, q: str, attr: str) -> None:
        if q in ("threading.Thread", "multiprocessing.Process"):
            target, via = _arg(node, 1, "target"), f"{q}(target=...)"
        elif q == "asyncio.to_thread" or attr in ("submit", "map"):
            target, via = _arg(node, 0), f"{q or 'executor.' + attr}()"
        else:
            target, via = _arg(node, 1), "loop.run_in_executor()"
        wf = self.workflow(target)
        if wf:
            self.report("DBOS205", node, func=wf[0], via=via)


def _canon(module: str) -> str:
    return "dbos" if module.split(".")[0] == "dbos" else module


_HANDLERS: dict[type, Handler] = {
    ast.FunctionDef: _Checker._function,
    ast.AsyncFunctionDef: _Checker._function,
    ast.ClassDef: _Checker._class,
    ast.Lambda: _Checker._lambda,
    ast.If: _Checker._if,
    ast.With: _Checker._with,
    ast.AsyncWith: _Checker._with,
    _Exit: _Checker._exit,
    ast.Import: _Checker._import,
    ast.ImportFrom: _Checker._import,
    ast.Assign: _Checker._assign,
    ast.AnnAssign: _Checker._assign,
    ast.Global: _Checker._global,
    ast.Return: _Checker._return,
    ast.Subscript: _Checker._subscript,
    ast.Compare: _Checker._compare,
    ast.Attribute: _Checker._attribute,
    ast.Call: _Checker._call,
}


# ---- files


_PARSER_MAY_CRASH = sys.version_info < (3, 11)  # 3.10's parser segfaults on e.g. a 150,000-term sum
_PROBE_BYTES = 100_000  # on such Pythons, files at least this large are parsed in a child process first
_PROBE = "import ast, sys; ast.parse(sys.stdin.buffer.read())"


def _parser_crash(source: str) -> str | None:
    """Why parsing `source` would kill this interpreter, or None. Probes a child process only when needed."""
    if not _PARSER_MAY_CRASH or len(source) < _PROBE_BYTES:
        return None
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _PROBE], input=source.encode(), capture_output=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot parse in a child process: {exc}"
    if done.returncode < 0:
        return f"the Python parser crashes on this file (signal {-done.returncode}); split or simplify it"
    return None


def lint_source(source: str, path: str = "<string>", opt_in: Iterable[str] = ()) -> list[Finding]:
    """All findings for one module's source, `# noqa` applied, sorted by line and column. Opt-in rules
    (DBOS104) are reported only when their id is in `opt_in`."""
    crash = _parser_crash(source)
    if crash:
        return [_error(path, 1, 1, crash)]
    collecting = gc.isenabled()
    gc.disable()  # a syntax tree has no reference cycles: collections while building it are pure overhead
    try:
        found = _lint_parsed(source, path)
        return [f for f in found if f.id in opt_in or not RULES[f.id].opt_in] if found else found
    finally:
        if collecting:
            gc.enable()


def _lint_parsed(source: str, path: str) -> list[Finding]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [_error(path, exc.lineno or 1, exc.offset or 1, f"syntax error: {exc.msg}")]
    except ValueError as exc:  # e.g. null bytes
        return [_error(path, 1, 1, f"syntax error: {exc}")]
    except RecursionError:  # found by fuzzing: e.g. `x = ---...1` nested thousands deep
        return [_error(path, 1, 1, "syntax error: nested too deeply to parse")]
    except MemoryError:  # e.g. `x = ` followed by 20,000 `-`
        return [_error(path, 1, 1, "syntax error: too large or too deeply nested to parse")]
    if "dbos" not in source:
        return []
    checker = _Checker(tree, path, source)
    try:
        checker.run(tree)
    except RecursionError:  # valid, but deeper than a helper can follow
        return [_error(path, 1, 1, "syntax error: nested too deeply to check")]
    if not checker.findings:
        return []
    lines = source.splitlines()
    return sorted({f for f in checker.findings if not _suppressed(f, lines)})


def lint_file(path: Path, opt_in: Iterable[str] = ()) -> list[Finding]:
    """Findings for one file; an unreadable or undecodable file is one DBOS001 finding."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [_error(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}")]
    except MemoryError:
        return [_error(str(path), 1, 1, "cannot read file: too large")]
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
    except SyntaxError as exc:
        return [_error(str(path), exc.lineno or 1, 1, f"syntax error: {exc.msg}")]
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: getattr(exc, "start", 0)].count(b"\n") + 1
        return [_error(str(path), line, 1, f"cannot decode file: {exc}")]
    findings = lint_source(source, str(path), opt_in)
    if path.suffix not in _PY_SUFFIXES and findings and findings[0].id == "DBOS001":
        first = findings[0]
        kind = "a Markdown file" if path.suffix.lower() in (".md", ".markdown") else "not Python source"
        why = f"{path.name} is {kind} ({first.message} on line {first.line}); dbos_lint reads Python files"
        return [_error(str(path), 1, 1, f"{why}: pass .py files or folders")]
    return findings


def _error(path: str, line: int, col: int, error: str) -> Finding:
    return Finding(path, line, col, "DBOS001", RULES["DBOS001"].message.format(error=error), "")


def _suppressed(finding: Finding, lines: Sequence[str]) -> bool:
    if not 0 < finding.line <= len(lines):
        return False
    match = _NOQA.search(lines[finding.line - 1])
    if match is None:
        return False
    ids = match.group("ids")
    return ids is None or finding.id in {i.strip().upper() for i in ids.split(",")}


@dataclass
class Run:
    """What one lint run found: findings, the files read, and notes for stderr."""

    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect(paths: Iterable[Path]) -> Run:
    """Files to lint: files as given, directories recursively (*.py, skipping virtualenvs, caches and
    hidden folders below the given one). Unreadable entries become findings, non-regular files notes."""
    run = Run()
    for path in paths:
        if path.is_dir():
            before, hidden = len(run.files), set[str]()
            for root, dirs, files in os.walk(path):
                hidden.update(d for d in dirs if d.startswith(".") and d not in _SKIP_DIRS)
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if name.endswith(".py"):
                        _add(run, Path(root, name))
            if len(run.files) == before and not any(f.path.startswith(str(path)) for f in run.findings):
                skipped = (
                    f" (skipped hidden folders {', '.join(sorted(hidden))}: name them to lint them)" if hidden else ""
                )
                run.notes.append(f"no Python files under {path}{skipped}")
        else:
            _add(run, path)
    return run


def _add(run: Run, path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:  # a dangling symlink, a permission problem
        run.findings.append(_error(str(path), 1, 1, f"cannot read file: {exc.strerror or exc}"))
        return
    if stat.S_ISREG(mode):
        run.files.append(path)
    else:
        run.notes.append(f"skipped {path}: not a regular file (a FIFO, socket or device)")


def lint_paths(paths: Iterable[Path], jobs: int = 1, opt_in: Iterable[str] = ()) -> Run:
    """Lint files and directories, `jobs` files at a time in separate processes."""
    lint = functools.partial(lint_file, opt_in=tuple(opt_in))
    run = collect(paths)
    size = sum(_size(p) for p in run.files)
    results: Iterable[list[Finding]]
    if jobs > 1 and len(run.files) > 1 and size > 200_000:
        results = _parallel(lint, run.files, jobs)
    else:
        results = map(lint, run.files)
    for found in results:
        run.findings.extend(found)
    run.findings.sort()
    return run


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _parallel(lint: Callable[[Path], list[Finding]], files: list[Path], jobs: int) -> list[list[Finding]]:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(lint, files, chunksize=max(1, len(files) // (jobs * 4))))
    except (BrokenProcessPool, OSError):  # a worker died: lint one by one, in this process
        return [lint(f) for f in files]


def _selectors(text: str | None, option: str) -> list[str]:
    items = [i.strip().upper() for i in (text or "").split(",") if i.strip()]
    for item in items:
        if not any(rule_id.startswith(item) for rule_id in RULES):
            raise ValueError(f"unknown rule id {item!r} in {option} (see --list-rules)")
    return items


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dbos_lint.py",
        description="Find DBOS 3.x mistakes in Python code: non-deterministic workflows, removed 2.x APIs, "
        "queue and lifecycle misuse. Only modules that import dbos are checked. Standard library "
        "only; the code is parsed, never imported.",
        epilog="Each finding names the skill reference that explains it. Silence one line with "
        "`# noqa: DBOS201`. Test files (test_*.py, *_test.py, conftest.py) skip some "
        "checks: see --list-rules. Exit status: 0 no findings, 1 findings, 2 usage error.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (recursing into *.py)")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list of {path,line,col,id,name,message,reference}"
    )
    parser.add_argument(
        "--select", metavar="IDS", help="only these ids or prefixes, comma separated (DBOS2); name opt-in ids here"
    )
    parser.add_argument("--ignore", metavar="IDS", help="skip these ids or prefixes, comma separated")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="files linted in parallel")
    parser.add_argument("--list-rules", action="store_true", help="print the rule table and exit")
    parser.add_argument("--markdown", action="store_true", help="with --list-rules: as docs/authoring.md's table")
    return parser


def rule_table() -> list[str]:
    """One line per rule: id, name, how test files are linted, opt-in, and last the reference."""
    return [
        f"{rule_id}  {rule.name:<30} [tests: {rule.in_tests}]"
        + (f" (opt-in: --select {rule_id})" if rule.opt_in else "")
        + f" {rule.reference or '-'}"
        for rule_id, rule in RULES.items()
    ]


def markdown_table() -> str:
    """docs/authoring.md's rule table (a test keeps the two equal)."""
    rows = ["| id | name | what it flags | in test files | documented in |", "|---|---|---|---|---|"]
    for rule_id, rule in RULES.items():
        if rule_id != "DBOS001":
            summary = rule.summary + (" **(opt-in)**" if rule.opt_in else "")
            ref = Path(rule.reference).name
            rows.append(f"| {rule_id} | {rule.name} | {summary} | {rule.in_tests} | {ref} |")
    return "\n".join(rows)


def _wanted(finding: Finding, select: list[str], ignore: list[str]) -> bool:
    if RULES[finding.id].opt_in and finding.id not in select:
        return False
    if select and not finding.id.startswith(tuple(select)):
        return False
    return not (ignore and finding.id.startswith(tuple(ignore)))


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return _main(parser, args)
    except BrokenPipeError:  # `dbos_lint.py ... | head`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.list_rules:
        print(markdown_table() if args.markdown else "\n".join(rule_table()))
        return 0
    try:
        select, ignore = _selectors(args.select, "--select"), _selectors(args.ignore, "--ignore")
    except ValueError as exc:
        print(f"dbos_lint: error: {exc}", file=sys.stderr)
        return 2
    if not args.paths:
        parser.print_usage(sys.stderr)
        print("dbos_lint: error: give at least one PATH", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        print(f"dbos_lint: error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    run = lint_paths(paths, jobs=max(1, args.jobs), opt_in=[i for i in select if i in RULES])
    for note in run.notes:
        print(f"dbos_lint: note: {note}", file=sys.stderr)
    findings = [f for f in run.findings if _wanted(f, select, ignore)]
    if args.json:
        print(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
    sys.stdout.flush()
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
