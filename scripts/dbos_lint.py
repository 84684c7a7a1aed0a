#!/usr/bin/env python3
"""Find DBOS 3.x mistakes in Python code. Standard library only; never imports dbos.

Only code that imports dbos is checked for DBOS rules: names resolve through the module's imports.
Workflow and step bodies are the statements of a function decorated with @DBOS.workflow / @DBOS.step
(with or without parentheses, also in @DBOS.dbos_class classes). Nested functions and lambdas are not
part of the body: they may run as a step (DBOS.run_step) or never, so body rules skip them.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import re
import sys
import tokenize
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Rule:
    name: str
    message: str  # str.format template; slots are filled by the visitor
    reference: str  # the skill file that documents the rule ("" for DBOS001)


def _rule(name: str, message: str, ref: str) -> Rule:
    return Rule(name, message, f"references/{ref}.md")


RULES: dict[str, Rule] = {
    "DBOS001": Rule("syntax-error", "syntax error: {error}", ""),
    "DBOS101": _rule(
        "dbos-at-import",
        "{call} runs at import time; configure and launch DBOS under "
        '`if __name__ == "__main__":`, in main() or in a lifespan',
        "lifecycle-launch",
    ),
    "DBOS102": _rule(
        "removed-config-key", "DBOSConfig key {key!r} was removed in DBOS 3.x; {hint}", "lifecycle-config"
    ),
    "DBOS103": _rule(
        "removed-framework-arg",
        "DBOS({arg}=...) was removed in DBOS 3.x; pass only config=... and launch DBOS from the app's lifespan or main",
        "lifecycle-web-frameworks",
    ),
    "DBOS201": _rule(
        "nondeterministic-call",
        "{call} in a workflow gives a different value on replay; "
        "move it into a step or pass the value in as an argument",
        "workflow-determinism",
    ),
    "DBOS202": _rule("io-in-workflow", "{call} in a workflow {hint}", "workflow-determinism"),
    "DBOS203": _rule(
        "global-state",
        "`{stmt} {names}` assigned in a {kind}: the change is not "
        "checkpointed and is lost on recovery; return values instead",
        "workflow-determinism",
    ),
    "DBOS204": _rule(
        "start-workflow-id-kwarg",
        "{call}(..., workflow_id=...) passes workflow_id to the "
        "workflow function; wrap the call in `with SetWorkflowID(...)`",
        "workflow-background-handles",
    ),
    "DBOS205": _rule(
        "workflow-in-thread",
        "workflow {func} started through {via}; use DBOS.start_workflow or a queue to run it in the background",
        "workflow-background-handles",
    ),
    "DBOS206": _rule(
        "blocking-call-in-async",
        "{call}() blocks the event loop in async {kind} {func}; use `await {call}_async(...)`",
        "workflow-async",
    ),
    "DBOS301": _rule(
        "workflow-op-in-step",
        "{call} inside step {func}; start workflows, recv and sleep from the workflow, not from a step",
        "step-basics",
    ),
    "DBOS302": _rule(
        "removed-transaction",
        "{what} was removed in DBOS 3.x; use a step, or "
        "SQLAlchemyDatasource with @ds.transaction() and ds.sql_session()",
        "step-transactions",
    ),
    "DBOS401": _rule(
        "queue-constructor",
        "Queue(...) cannot be constructed in DBOS 3.x; use "
        "DBOS.register_queue(...) after DBOS.launch(), or DBOS.retrieve_queue(...)",
        "queue-basics",
    ),
    "DBOS402": _rule(
        "register-queue-before-launch",
        "DBOS.register_queue(...) {when}; it writes to the system database, so call it after DBOS.launch()",
        "queue-basics",
    ),
    "DBOS403": _rule(
        "missing-partition-key",
        "enqueue on partitioned queue {queue} without "
        "queue_partition_key: the workflow is never dequeued; wrap it in "
        "`with SetEnqueueOptions(queue_partition_key=...)`",
        "queue-partitioning",
    ),
    "DBOS601": _rule(
        "removed-scheduled",
        "@DBOS.scheduled was removed in DBOS 3.x; register the workflow "
        "with DBOS.create_schedule(...) or DBOS.apply_schedules(...)",
        "pattern-scheduled",
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

_APP_DB = "there is no application database; use system_database_url (SQLAlchemyDatasource for app tables)"
REMOVED_CONFIG_KEYS: dict[str, str] = {
    "database_url": _APP_DB,
    "application_database_url": _APP_DB,
    "sys_db_name": "put the database name in system_database_url",
    "admin_port": "the HTTP admin server is gone",
    "run_admin_server": "the HTTP admin server is gone",
}
_NONDET_CALLS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "uuid.uuid1",
        "uuid.uuid4",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "os.getenv",
        "os.environ.get",
        "os.urandom",
    }
)
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
    "smtplib.",
    "ftplib.",
)
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
_BODY = ("workflow", "step")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_SKIP_DIRS = frozenset({".venv", "venv", "__pycache__", "node_modules"})
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<ids>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*))?", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    col: int
    id: str
    message: str
    reference: str

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


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


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
        if not isinstance(node, _SCOPES):
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


class _Module:
    """What one module defines: import aliases, workflows, queues, config dicts.

    Variables are keyed by (scope, name), the scope being the id() of the enclosing function, lambda,
    class or module, so `queue` in one function is not `queue` in another."""

    def __init__(self, tree: ast.Module) -> None:
        self.root = id(tree)
        self.aliases: dict[str, str] = {}
        self.wf_funcs: dict[str, tuple[bool, frozenset[str]]] = {}  # name -> (is_async, params)
        self.wf_methods: dict[str, tuple[bool, frozenset[str]]] = {}
        self.queue_vars: dict[tuple[int, str], tuple[str | None, bool]] = {}  # var -> (queue name, partitioned)
        self.partitioned_names: set[str] = set()
        self.strings: dict[str, str] = {}
        self.dicts: dict[tuple[int, str], ast.Dict] = {}
        self.config_vars: set[str] = set()
        self.datasources: set[str] = set()
        self.before_launch: set[int] = set()  # id() of register_queue calls preceding DBOS.launch()
        nodes = list(ast.walk(tree))
        for node in nodes:
            self._import(node)
        self.uses_dbos = "dbos" in {v.split(".")[0] for v in self.aliases.values()}
        if not self.uses_dbos:
            return
        scope_of: dict[int, int] = {}
        for scope in [tree, *(n for n in nodes if isinstance(n, _SCOPES))]:
            body = [scope.body] if isinstance(scope, ast.Lambda) else scope.body
            scope_of.update((id(n), id(scope)) for n in _walk_own(body))
        assigns = [
            ((scope_of.get(id(n), self.root), t.id), n.value, n)
            for n in nodes
            if isinstance(n, (ast.Assign, ast.AnnAssign))
            and n.value is not None
            and isinstance(t := n.targets[0] if isinstance(n, ast.Assign) else n.target, ast.Name)
        ]
        for key, value, stmt in assigns:
            if self.call_to(value) == "dbos.DBOS":  # `app = DBOS(...)`, then `app.launch()`
                self.aliases[key[1]] = "dbos.DBOS"
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.strings[key[1]] = value.value
            elif isinstance(value, ast.Dict):
                self.dicts[key] = value
            if isinstance(stmt, ast.AnnAssign) and self.resolve(stmt.annotation) == "dbos.DBOSConfig":
                self.config_vars.add(key[1])
        for node in nodes:
            q = self.resolve(node.func) if isinstance(node, ast.Call) else None
            if isinstance(node, ast.Call) and q in ("dbos.DBOS.register_queue", "dbos.DBOS.register_queue_async"):
                name = self.queue_name(_arg(node, 0, "name"), self.root)
                if name and _partitioned(node):
                    self.partitioned_names.add(name)
            elif isinstance(node, ast.Call) and q == "dbos.DBOS" and isinstance(c := _kwarg(node, "config"), ast.Name):
                self.config_vars.add(c.id)
        for key, value, _ in assigns:
            self._assign(key, value)
        class_methods = {id(f) for n in nodes if isinstance(n, ast.ClassDef) for f in n.body}
        registers = any(self.call_to(n) == "dbos.DBOS.register_queue" for n in nodes if isinstance(n, ast.Call))
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                self.decorator_kind(d) == "workflow" for d in node.decorator_list
            ):
                table = self.wf_methods if id(node) in class_methods else self.wf_funcs
                params = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
                table[node.name] = (isinstance(node, ast.AsyncFunctionDef), frozenset(a.arg for a in params))
            if registers and isinstance(stmts := getattr(node, "body", None), list):
                self._order(stmts)

    def _import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                self.aliases[a.asname or a.name.split(".")[0]] = _canon(a.name if a.asname else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name != "*":
                    self.aliases[a.asname or a.name] = f"{_canon(node.module)}.{a.name}"

    def _assign(self, key: tuple[int, str], value: ast.expr) -> None:
        q = self.call_to(value) or ""
        call = value.value if isinstance(value, ast.Await) else value
        if not isinstance(call, ast.Call):
            return
        if q.startswith(("dbos.DBOS.register_queue", "dbos.DBOS.retrieve_queue")):
            name = self.queue_name(_arg(call, 0, "name"), key[0])
            self.queue_vars[key] = (name, _partitioned(call) or name in self.partitioned_names)
        elif q.endswith("SQLAlchemyDatasource.create"):
            self.datasources.add(key[1])
        elif self.decorator_kind(call.func) == "workflow" and call.args:
            self.wf_funcs[key[1]] = (False, frozenset())  # name = DBOS.workflow()(func)

    def _order(self, body: list[ast.stmt]) -> None:
        calls = [[c for c in _walk_own([s]) if isinstance(c, ast.Call)] for s in body]
        launch = next(
            (i for i, cs in enumerate(calls) if any(self.resolve(c.func) == "dbos.DBOS.launch" for c in cs)), None
        )
        for cs in calls[:launch] if launch is not None else []:
            self.before_launch.update(id(c) for c in cs if self.resolve(c.func) == "dbos.DBOS.register_queue")

    def var(self, table: dict[tuple[int, str], _T], scope: int, node: ast.expr | None) -> _T | None:
        """A variable's entry: the innermost scope's, else the module's."""
        if not isinstance(node, ast.Name):
            return None
        return table.get((scope, node.id), table.get((self.root, node.id)))

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

    def call_to(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Await):
            node = node.value
        return self.resolve(node.func) if isinstance(node, ast.Call) else None

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
            and isinstance(target.value, ast.Name)
            and target.value.id in self.datasources
        ):
            return "step"
        return None

    def queue_name(self, node: ast.expr | None, scope: int) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.strings.get(node.id)
        if isinstance(node, ast.Attribute) and node.attr == "name" and isinstance(node.value, ast.Name):
            return (self.var(self.queue_vars, scope, node.value) or (None, False))[0]
        return None

    def workflow(self, node: ast.expr | None) -> tuple[str, bool, frozenset[str]] | None:
        """(display name, is_async, params) when `node` names a workflow function of this module."""
        if isinstance(node, ast.Name) and node.id in self.wf_funcs:
            return (node.id, *self.wf_funcs[node.id])
        if isinstance(node, ast.Attribute) and node.attr in self.wf_methods:
            return (_dotted(node) or node.attr, *self.wf_methods[node.attr])
        return None


def _canon(module: str) -> str:
    return "dbos" if module.split(".")[0] == "dbos" else module


@dataclass
class _Frame:
    kind: str  # module | main | class | function | workflow | step
    import_time: bool = False
    is_async: bool = False
    name: str = ""
    assigned: frozenset[str] = frozenset()
    scope: int = 0  # id() of the function, lambda, class or module node
    partition_keyed: int = 0  # enclosing `with SetEnqueueOptions(queue_partition_key=...)` blocks


class _Visitor(ast.NodeVisitor):
    """Detects; only records findings through report()."""

    def __init__(self, module: _Module, path: str) -> None:
        self.m = module
        self.path = path
        self.findings: list[Finding] = []
        self.frames = [_Frame("module", import_time=True, scope=module.root)]

    def report(self, rule_id: str, node: ast.AST, **slots: str) -> None:
        rule = RULES[rule_id]
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        self.findings.append(Finding(self.path, line, col, rule_id, rule.message.format(**slots), rule.reference))

    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    def _push(self, frame: _Frame, nodes: Iterable[ast.AST]) -> None:
        self.frames.append(frame)
        for node in nodes:
            self.visit(node)
        self.frames.pop()

    # ---- scopes
    def visit_If(self, node: ast.If) -> None:
        if self.frame.kind == "module" and _is_main_guard(node.test):
            self._push(_Frame("main", scope=self.m.root), node.body)
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(child)
        self._push(_Frame("class", import_time=self.frame.import_time, scope=id(node)), node.body)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        kind = "function"
        for dec in node.decorator_list:
            q = self.m.resolve(_strip(dec))
            if q == "dbos.DBOS.scheduled":
                self.report("DBOS601", dec)
            elif q == "dbos.DBOS.transaction":
                self.report("DBOS302", dec, what="@DBOS.transaction")
            found = self.m.decorator_kind(dec)
            kind = "workflow" if "workflow" in (kind, found) else found or kind
            self.visit(dec)
        self.visit(node.args)
        if node.returns:
            self.visit(node.returns)
        assigned = frozenset(
            n.id
            for n in _walk_own(node.body)
            if kind in _BODY and isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
        )
        is_async = isinstance(node, ast.AsyncFunctionDef)
        self._push(_Frame(kind, is_async=is_async, name=node.name, assigned=assigned, scope=id(node)), node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        self._push(_Frame("function", name="<lambda>", scope=id(node)), [node.body])

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        keyed = sum(1 for item in node.items if self._sets_partition_key(item.context_expr))
        for item in node.items:
            self.visit(item)
        frame = self.frame
        frame.partition_keyed += keyed
        for stmt in node.body:
            self.visit(stmt)
        frame.partition_keyed -= keyed

    visit_AsyncWith = visit_With

    def _sets_partition_key(self, node: ast.expr) -> bool:
        if not (isinstance(node, ast.Call) and self.m.resolve(node.func) == "dbos.SetEnqueueOptions"):
            return False
        key = _kwarg(node, "queue_partition_key")
        return key is not None and not (isinstance(key, ast.Constant) and key.value is None)

    # ---- statements and expressions
    def visit_Global(self, node: ast.Global | ast.Nonlocal) -> None:
        names = [n for n in node.names if n in self.frame.assigned]
        if self.frame.kind in _BODY and names:
            stmt = "global" if isinstance(node, ast.Global) else "nonlocal"
            self.report("DBOS203", node, stmt=stmt, names=", ".join(names), kind=self.frame.kind)

    visit_Nonlocal = visit_Global

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if (
            self.frame.kind == "workflow"
            and isinstance(node.ctx, ast.Load)
            and self.m.resolve(node.value) == "os.environ"
        ):
            self.report("DBOS201", node, call="os.environ[...]")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if (
            self.frame.kind == "workflow"
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and any(self.m.resolve(c) == "os.environ" for c in node.comparators)
        ):
            self.report("DBOS201", node, call="`in os.environ`")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.m.resolve(node) == "dbos.DBOS.sql_session":
            self.report("DBOS302", node, what="DBOS.sql_session")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id in self.m.config_vars and isinstance(node.value, ast.Dict):
                self._config_keys(node.value.keys)
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id in self.m.config_vars
            ):
                self._config_keys([target.slice])
        self.generic_visit(node)

    visit_AnnAssign = visit_Assign

    def _config_keys(self, keys: Iterable[ast.expr | None]) -> None:
        for key in keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                name = key.value
                hint = REMOVED_CONFIG_KEYS.get(name) or (_APP_DB if name.startswith("app_db_") else None)
                if hint:
                    self.report("DBOS102", key, key=name, hint=hint)

    def visit_Call(self, node: ast.Call) -> None:
        q = self.m.resolve(node.func) or ""
        op = q.removeprefix("dbos.DBOS.") if q.startswith("dbos.DBOS.") else ""  # a DBOS classmethod
        self._lifecycle(node, q)
        if self.frame.kind == "workflow":
            self._workflow_body(node, q)
        step_op = self.frame.kind == "step" and self._step_body(node, op)
        if self.frame.kind in _BODY and self.frame.is_async and not step_op:
            self._async_body(node, op)
        self._starts(node, q, op)
        self.generic_visit(node)

    def _lifecycle(self, node: ast.Call, q: str) -> None:
        import_time = self.frame.import_time
        if q in ("dbos.DBOS", "dbos.DBOS.launch") and import_time:
            self.report("DBOS101", node, call="DBOS(...)" if q == "dbos.DBOS" else "DBOS.launch()")
        if q == "dbos.DBOS":
            for kw in node.keywords:
                if kw.arg in ("fastapi", "flask"):
                    self.report("DBOS103", node, arg=kw.arg)
            config = _kwarg(node, "config")
            if isinstance(config, ast.Dict):
                self._config_keys(config.keys)
        elif q == "dbos.DBOSConfig":
            self._config_keys(
                ast.Constant(k.arg, lineno=k.lineno, col_offset=k.col_offset) for k in node.keywords if k.arg
            )
        elif q == "dbos.Queue":
            self.report("DBOS401", node)
        elif q == "dbos.DBOS.register_queue" and (import_time or id(node) in self.m.before_launch):
            self.report("DBOS402", node, when="runs at import time" if import_time else "runs before DBOS.launch()")

    def _workflow_body(self, node: ast.Call, q: str) -> None:
        call = f"{_dotted(node.func) or q}()"
        if q in _NONDET_CALLS or (
            q.startswith(_NONDET_MODULES) and q != "random.seed" and not (q == "random.Random" and node.args)
        ):
            self.report("DBOS201", node, call=call)
        elif q in _SLEEPS:
            hint = "is not durable: after recovery the wait starts over; use DBOS.sleep / DBOS.sleep_async"
            self.report("DBOS202", node, call=call, hint=hint)
        elif q in _IO_CALLS or (q.startswith(_IO_MODULES) and q.rsplit(".", 1)[-1][:1].islower()):
            self.report("DBOS202", node, call=call, hint="runs again on every replay; move it into a step")

    def _step_body(self, node: ast.Call, op: str) -> bool:
        wf = self.m.workflow(node.func)
        if op in _NOT_IN_STEP or self._queue_enqueue(node):
            self.report("DBOS301", node, call=f"{_dotted(node.func)}()", func=self.frame.name)
        elif wf:
            self.report("DBOS301", node, call=f"workflow call {wf[0]}()", func=self.frame.name)
        else:
            return False
        return True

    def _async_body(self, node: ast.Call, op: str) -> None:
        queue = self._queue_enqueue(node)
        if op not in ASYNC_VARIANTS and not queue:
            return
        if op in _STARTERS or queue:  # a sync workflow has no _async way to start it
            wf = self.m.workflow(_arg(node, _STARTERS.get(op, 0), "func"))
            if wf and not wf[1]:
                return
        call = _dotted(node.func) or op
        self.report("DBOS206", node, call=call, kind=self.frame.kind, func=self.frame.name)

    def _queue_enqueue(self, node: ast.Call) -> tuple[str | None, bool] | None:
        """(queue name, partitioned) when the call is `<known queue variable>.enqueue[_async](...)`."""
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("enqueue", "enqueue_async"):
            return self.m.var(self.m.queue_vars, self.frame.scope, func.value)
        return None

    def _starts(self, node: ast.Call, q: str, op: str) -> None:
        queue = self._queue_enqueue(node)
        index = _STARTERS.get(op, 0 if queue else -1)
        if index >= 0 and _kwarg(node, "workflow_id") is not None:
            wf = self.m.workflow(_arg(node, index, "func"))
            if not (wf and "workflow_id" in wf[2]):
                self.report("DBOS204", node, call=_dotted(node.func) or op)
        if not self.frame.partition_keyed:
            self._partition(node, op, queue)
        self._threads(node, q)

    def _partition(self, node: ast.Call, op: str, queue: tuple[str | None, bool] | None) -> None:
        name: str | None = None
        if queue:
            name = (queue[0] or _dotted(node.func) or "") if queue[1] else None
        elif op in ("enqueue_workflow", "enqueue_workflow_async"):
            name = self.m.queue_name(_arg(node, 0, "queue_name"), self.frame.scope)
        elif node.args and (
            op.startswith("enqueue_workflow_with_options")
            or (isinstance(node.func, ast.Attribute) and node.func.attr in ("enqueue", "enqueue_async"))
        ):
            opts = self.m.var(self.m.dicts, self.frame.scope, node.args[0]) or node.args[0]
            if isinstance(opts, ast.Dict):
                keys = {k.value: v for k, v in zip(opts.keys, opts.values, strict=True) if isinstance(k, ast.Constant)}
                if "queue_partition_key" not in keys:
                    name = self.m.queue_name(keys.get("queue_name"), self.frame.scope)
        if name and (queue or name in self.m.partitioned_names):
            self.report("DBOS403", node, queue=repr(name))

    def _threads(self, node: ast.Call, q: str) -> None:
        attr = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if q in ("threading.Thread", "multiprocessing.Process"):
            target, via = _arg(node, 1, "target"), f"{q}(target=...)"
        elif q == "asyncio.to_thread" or attr in ("submit", "map"):
            target, via = _arg(node, 0), f"{q or 'executor.' + attr}()"
        elif attr == "run_in_executor":
            target, via = _arg(node, 1), "loop.run_in_executor()"
        else:
            return
        wf = self.m.workflow(target)
        if wf:
            self.report("DBOS205", node, func=wf[0], via=via)


def lint_source(source: str, path: str = "<string>") -> list[Finding]:
    """All findings for one module's source, `# noqa` applied, sorted by line and column."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        return [_syntax_error(path, exc.lineno or 1, exc.offset or 1, exc.msg)]
    except ValueError as exc:  # e.g. null bytes
        return [_syntax_error(path, 1, 1, str(exc))]
    except RecursionError:  # found by fuzzing: e.g. `x = ---...1` nested thousands deep
        return [_syntax_error(path, 1, 1, "nested too deeply to parse")]
    try:
        module = _Module(tree)
        if not module.uses_dbos:
            return []
        visitor = _Visitor(module, path)
        visitor.visit(tree)
    except RecursionError:  # valid, but deeper than the recursive visitor can follow (found by fuzzing)
        return [_syntax_error(path, 1, 1, "nested too deeply to check")]
    lines = source.splitlines()
    return sorted({f for f in visitor.findings if not _suppressed(f, lines)})


def lint_file(path: Path) -> list[Finding]:
    data = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
    except SyntaxError as exc:
        return [_syntax_error(str(path), exc.lineno or 1, 1, exc.msg)]
    except (UnicodeDecodeError, LookupError) as exc:
        line = data[: getattr(exc, "start", 0)].count(b"\n") + 1
        return [_syntax_error(str(path), line, 1, f"cannot decode file: {exc}")]
    return lint_source(source, str(path))


def _syntax_error(path: str, line: int, col: int, error: str) -> Finding:
    return Finding(path, line, col, "DBOS001", RULES["DBOS001"].message.format(error=error), "")


def _suppressed(finding: Finding, lines: Sequence[str]) -> bool:
    if not 0 < finding.line <= len(lines):
        return False
    match = _NOQA.search(lines[finding.line - 1])
    if match is None:
        return False
    ids = match.group("ids")
    return ids is None or finding.id in {i.strip().upper() for i in ids.split(",")}


def iter_python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; directories recursively (*.py, skipping virtualenvs, caches, hidden dirs)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            yield from (Path(root, f) for f in sorted(files) if f.endswith(".py"))


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
        "`# noqa: DBOS201`. Exit status: 0 no findings, 1 findings, 2 usage error.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (recursing into *.py)")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list of {path,line,col,id,name,message,reference}"
    )
    parser.add_argument("--select", metavar="IDS", help="only these ids or prefixes, comma separated (DBOS2)")
    parser.add_argument("--ignore", metavar="IDS", help="skip these ids or prefixes, comma separated")
    parser.add_argument("--list-rules", action="store_true", help="print the rule table and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    if args.list_rules:
        for rule_id, rule in RULES.items():
            print(f"{rule_id}  {rule.name:<30} {rule.reference or '-'}")
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
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"dbos_lint: error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    findings: list[Finding] = []
    try:
        for path in iter_python_files(paths):
            findings.extend(lint_file(path))
    except OSError as exc:
        print(f"dbos_lint: error: {exc}", file=sys.stderr)
        return 2
    findings = sorted(
        f
        for f in findings
        if (not select or f.id.startswith(tuple(select))) and not f.id.startswith(tuple(ignore) or ("\0",))
    )
    if args.json:
        print(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
