"""Where the skill's python examples use the dbos API, read with `ast`.

A program is a block plus its `continues` blocks, as the example checker runs it. The scanner follows imports
from dbos, attribute accesses on dbos, its classes and their instances (through assignments, annotations and
return types), keyword arguments of calls, and keys of dicts typed as a dbos TypedDict
(`config: DBOSConfig = {...}`, `DBOS(config={...})`, `config["key"] = ...`, `def f() -> DBOSConfig`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from .dbos_api import Api

Strength = Literal["strong", "weak"]
AMBIGUOUS = "?"


@dataclass(frozen=True)
class Use:
    """A use of an API name (a variant: `send_async`, not the item `send`) at a Markdown line."""

    category: str
    name: str
    path: str
    line: int
    strength: Strength


@dataclass(frozen=True)
class Unknown:
    """A name used as dbos API that the installed dbos does not have."""

    category: str
    name: str
    path: str
    line: int
    id: str
    message: str


def display(qual: str) -> str:
    """`dbos.DBOS.step` -> `DBOS.step`; the modules keep their names."""
    return qual if qual in ("dbos", "dbos.error") else qual.removeprefix("dbos.")


class ProgramScanner(ast.NodeVisitor):
    """Two typing passes (names, instances, typed dicts), then a recording pass."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.recording = False
        self.aliases: dict[str, str] = {}
        self.instances: dict[str, str] = {}
        self.typed_vars: dict[str, str] = {}
        self.dict_vars: dict[str, list[ast.Dict]] = {}
        self.return_typed: str | None = None
        self.typed_functions: dict[str, str] = {}
        self.rebound: set[str] = set()
        """Names bound by the program itself: an import they shadow is no longer followed."""
        self.refs: list[tuple[str, int]] = []
        self.kwargs: list[tuple[str, str, int]] = []
        self.keys: list[tuple[str, str, int]] = []
        self.unknown: list[tuple[str, str, int, str, str]] = []

    def scan(self, tree: ast.AST) -> None:
        for recording in (False, False, True):
            self.recording = recording
            self.dict_vars = {}
            self.visit(tree)
        for name, typed in self.typed_vars.items():
            for node in self.dict_vars.get(name, []):
                self._dict_keys(node, typed)

    # --- resolution -------------------------------------------------------------------------------------

    def kind(self, node: ast.expr) -> tuple[str, str] | None:
        """("ref", qualified name) for a dbos module/class/member, ("obj", class) for an instance."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases and node.id not in self.rebound:
                return "ref", self.aliases[node.id]
            cls = self.instances.get(node.id)
            return ("obj", cls) if cls and cls != AMBIGUOUS else None
        if isinstance(node, ast.Attribute):
            owner = self.owner(node.value)
            return ("ref", f"{owner}.{node.attr}") if owner else None
        if isinstance(node, ast.Call):
            callee = self.callee(node.func)
            returned = self.api.returns(callee) if callee else None
            return ("obj", returned) if returned else None
        if isinstance(node, ast.Await):
            return self.kind(node.value)
        return None

    def owner(self, node: ast.expr) -> str | None:
        """The module or followed class that an attribute of `node` is looked up on."""
        found = self.kind(node)
        if found is None:
            return None
        tag, qual = found
        return qual if tag == "obj" or self.api.is_module(qual) or self.api.class_of(qual) else None

    def callee(self, node: ast.expr) -> str | None:
        found = self.kind(node)
        return found[1] if found and found[0] == "ref" else None

    def instance(self, node: ast.expr | None) -> str | None:
        found = self.kind(node) if node is not None else None
        return found[1] if found and found[0] == "obj" else None

    def _set_instance(self, name: str, cls: str | None) -> None:
        if cls:
            previous = self.instances.get(name)
            self.instances[name] = cls if previous in (None, cls) else AMBIGUOUS

    def _typed(self, annotation: ast.expr | None) -> tuple[str | None, str | None]:
        """(TypedDict name, followed class) named by an annotation; `list[X]`/`Optional[X]` count as X."""
        while isinstance(annotation, ast.Subscript) and not isinstance(annotation.slice, ast.Tuple):
            annotation = annotation.slice
        qual = self.callee(annotation) if annotation is not None else None
        if qual is None:
            return None, None
        typed = qual.removeprefix("dbos.")
        return (typed if typed in self.api.typed_dicts else None), (qual if self.api.class_of(qual) else None)

    # --- facts ------------------------------------------------------------------------------------------

    def _unknown(self, category: str, name: str, node: ast.AST, id: str, message: str) -> None:
        if self.recording:
            self.unknown.append((category, name, getattr(node, "lineno", 1), id, message))

    def _dict_keys(self, node: ast.Dict, typed: str) -> None:
        for key in node.keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                self._key(typed, key.value, key)

    def _key(self, typed: str, key: str, node: ast.AST) -> None:
        if key in self.api.typed_dicts[typed]:
            if self.recording:
                self.keys.append((typed, key, getattr(node, "lineno", 1)))
        else:
            self._unknown(typed, key, node, "COV003", f"{typed} has no key {key!r} in dbos {self.api.version}")

    def _typed_value(self, node: ast.expr, typed: str) -> None:
        if isinstance(node, ast.Dict):
            if self.recording:
                self._dict_keys(node, typed)
        elif isinstance(node, (ast.List, ast.Tuple)):
            for element in node.elts:
                self._typed_value(element, typed)
        elif isinstance(node, ast.Name):
            self.typed_vars[node.id] = typed

    # --- visitors ---------------------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "dbos" or alias.name.startswith("dbos."):
                self.aliases[alias.asname or "dbos"] = alias.name if alias.asname else "dbos"

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not (module == "dbos" or module.startswith("dbos.")):
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            qual = self.api.resolve_import(module, alias.name)
            if qual is None:
                message = f"`from {module} import {alias.name}`: dbos {self.api.version} has no such name"
                self._unknown(f"from {module}", alias.name, node, "COV002", message)
                continue
            self.aliases[alias.asname or alias.name] = qual
            if self.recording:
                self.refs.append((qual, node.lineno))

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.rebound.add(node.id)
        elif self.recording and node.id in self.aliases and node.id not in self.rebound:
            self.refs.append((self.aliases[node.id], node.lineno))

    def visit_arg(self, node: ast.arg) -> None:
        self.rebound.add(node.arg)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.rebound.add(node.name)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        owner = self.owner(node.value)
        if owner is not None:
            if self.api.has(owner, node.attr):
                if self.recording:
                    self.refs.append((f"{owner}.{node.attr}", node.lineno))
            else:
                message = f"{display(owner)}.{node.attr} does not exist in dbos {self.api.version}"
                self._unknown(display(owner), node.attr, node, "COV001", message)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        callee = self.callee(node.func)
        if callee is not None:
            self._call(node, callee)
        self.generic_visit(node)

    def _call(self, node: ast.Call, callee: str) -> None:
        name = display(callee)
        accepted = self.api.keywords(callee)
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            if name in self.api.typed_dicts:
                self._key(name, keyword.arg, keyword)
            elif accepted is not None and keyword.arg not in accepted:
                message = f"{name}() takes no keyword {keyword.arg!r} in dbos {self.api.version}"
                self._unknown(f"{name}()", keyword.arg, keyword, "COV004", message)
            elif self.recording:
                self.kwargs.append((callee, keyword.arg, keyword.lineno))
        typed_args = self.api.typed_arguments(callee)
        for position, value in [*enumerate(node.args), *((k.arg, k.value) for k in node.keywords if k.arg)]:
            if position in typed_args:
                self._typed_value(value, typed_args[position])

    def visit_Assign(self, node: ast.Assign) -> None:
        value = node.value
        called = value.func.id if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) else ""
        typed = self.typed_functions.get(called)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._set_instance(target.id, self.instance(value))
                if typed:
                    self.typed_vars[target.id] = typed
                if isinstance(node.value, ast.Dict):
                    self.dict_vars.setdefault(target.id, []).append(node.value)
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                target_typed = self.typed_vars.get(target.value.id)
                key = target.slice
                if target_typed and isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self._key(target_typed, key.value, target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        typed, cls = self._typed(node.annotation)
        if isinstance(node.target, ast.Name):
            if typed:
                self.typed_vars[node.target.id] = typed
                if node.value is not None:
                    self._typed_value(node.value, typed)
            self._set_instance(node.target.id, cls or self.instance(node.value))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            typed, cls = self._typed(arg.annotation)
            if typed:
                self.typed_vars[arg.arg] = typed
            self._set_instance(arg.arg, cls)
        outer, self.return_typed = self.return_typed, self._typed(node.returns)[0]
        if self.return_typed:
            self.typed_functions[node.name] = self.return_typed
        self.generic_visit(node)
        self.return_typed = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Return(self, node: ast.Return) -> None:
        if self.return_typed and node.value is not None:
            self._typed_value(node.value, self.return_typed)
        self.generic_visit(node)
