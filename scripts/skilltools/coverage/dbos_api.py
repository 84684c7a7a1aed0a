"""What the installed dbos package offers, found by introspection (no hard-coded list of member names).

`introspect()` reads the installed package once into an `Api`: the inventory of `ApiItem`s the coverage
report counts, plus the lookups the scanner needs to resolve and drift-check names (members, keyword
parameters, TypedDict keys, return types). Qualified names are spelled from the package root:
`dbos.DBOS.start_workflow`, `dbos.error.DBOSException`, `dbos.SetWorkflowID`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

CLASSES = ("DBOS", "DBOSClient", "Queue", "WorkflowHandle", "WorkflowHandleAsync", "Debouncer", "DebouncerClient")
"""Classes whose public members are inventoried (a `foo`/`foo_async` pair is one item) and whose
instances the scanner follows through assignments (`client = DBOSClient(...)`, `h = queue.enqueue(...)`)."""
TYPED_DICTS = ("DBOSConfig", "StepOptions", "EnqueueOptions", "ScheduleInput", "ClientScheduleInput")
"""TypedDicts whose keys are inventoried; dict literals are typed by annotation or by the parameter they
are passed to (found from signatures, e.g. `DBOS(config=...)`, `DBOS.run_step(<StepOptions>, ...)`,
`DBOS.apply_schedules([<ScheduleInput>, ...])`)."""
PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "DBOS()": ("dbos.DBOS",),
    "DBOS.workflow()": ("dbos.DBOS.workflow",),
    "DBOS.step()": ("dbos.DBOS.step",),
    "DBOS.register_queue()": ("dbos.DBOS.register_queue", "dbos.DBOS.register_queue_async"),
    "DBOSClient()": ("dbos.DBOSClient",),
    "SetEnqueueOptions()": ("dbos.SetEnqueueOptions",),
    "SetWorkflowID()": ("dbos.SetWorkflowID",),
    "Debouncer.create()": ("dbos.Debouncer.create", "dbos.Debouncer.create_async"),
}
"""Decorators and option classes whose optional keyword parameters are inventoried (category -> callables;
the first one's signature is listed). Required parameters are covered by any call, so they are not items."""
MODULES = ("dbos", "dbos.error")
ASYNC = "_async"
_RETURN = re.compile(r"^(?:(?:typing\.)?Optional\[)?(?:[\w.]+\.)?(\w+)")


@dataclass(frozen=True, order=True)
class ApiItem:
    """One thing the skill should teach: a member (with its `_async` twin), an export, a key or a keyword."""

    category: str
    name: str
    variants: tuple[str, ...] = field(default=(), compare=False)
    """The spellings that count as a use: `("send", "send_async")` for a pair, else `(name,)`."""

    def __str__(self) -> str:
        return f"{self.category}: {self.name}"


def _public(names: Any) -> list[str]:
    return sorted(str(name) for name in names if not str(name).startswith("_"))


def class_members(cls: type) -> frozenset[str]:
    """dir() plus annotated attributes (a Protocol such as WorkflowHandle declares `workflow_id` that way)."""
    annotated = {name for klass in cls.__mro__ for name in inspect.get_annotations(klass)}
    return frozenset(dir(cls)) | annotated


@cache
def _module_tree(path: str) -> ast.Module:
    return ast.parse(Path(path).read_text("utf-8"))


def instance_attributes(cls: type) -> frozenset[str]:
    """Attributes the class's methods assign on `self` (`Queue.name`): they exist, so using them is no
    drift, but they are not inventoried (mostly internal state)."""
    found: set[str] = set()
    for klass in cls.__mro__[:-1]:
        try:
            tree = _module_tree(inspect.getfile(klass))
        except (OSError, TypeError, SyntaxError):
            continue
        for definition in tree.body:
            if isinstance(definition, ast.ClassDef) and definition.name == klass.__name__:
                found.update(
                    node.attr
                    for node in ast.walk(definition)
                    if isinstance(node, ast.Attribute)
                    and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "self"
                )
    return frozenset(found)


def _twins(name: str, present: set[str]) -> list[str]:
    """Async spellings of `name`: `name_async`, and `get_name_async` for a property such as Queue's
    `worker_concurrency` (read synchronously as an attribute, asynchronously through a getter)."""
    getter = [f"get_{name}{ASYNC}"] if f"get_{name}" not in present else []
    return [twin for twin in (name + ASYNC, *getter) if twin in present]


def pair_items(category: str, names: list[str]) -> list[ApiItem]:
    """Fold `foo` and its async twins into one item; a lone `bar_async` stays an item of its own."""
    present = set(names)
    folded = {twin for name in names for twin in _twins(name, present)}
    return [ApiItem(category, name, (name, *_twins(name, present))) for name in names if name not in folded]


def _signature(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _annotation_text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    return str(getattr(annotation, "__qualname__", None) or annotation)


class Api:
    """The installed dbos: lookups by qualified name, and the inventory."""

    def __init__(self, module: types.ModuleType | None = None) -> None:
        if module is None:
            import dbos  # here, not at the top: scanning the skill needs only the model, not dbos and SQLAlchemy

            module = dbos
        self.module = module
        self.version: str = str(getattr(module, "__version__", "") or _distribution_version())
        self.classes = {name: getattr(module, name) for name in CLASSES}
        self.typed_dicts: dict[str, frozenset[str]] = {
            name: frozenset(getattr(module, name).__annotations__) for name in TYPED_DICTS
        }
        self._members = {name: class_members(cls) | instance_attributes(cls) for name, cls in self.classes.items()}
        self._signatures: dict[str, inspect.Signature | None] = {}
        self._imports: dict[tuple[str, str], str | None] = {}
        self._typed_arguments: dict[str, dict[int | str, str]] = {}
        self.error = module.error
        self.exceptions = [
            name
            for name, value in vars(self.error).items()
            if not name.startswith("_")
            and isinstance(value, type)
            and issubclass(value, BaseException)
            and value.__module__ == self.error.__name__
        ]

    # --- lookups ----------------------------------------------------------------------------------------

    def is_module(self, qual: str) -> bool:
        return qual in MODULES

    def class_of(self, qual: str) -> str | None:
        """`dbos.Queue` -> `Queue` when it is one of the followed classes."""
        name = qual.removeprefix("dbos.")
        return name if qual.startswith("dbos.") and name in self.classes else None

    def has(self, owner: str, name: str) -> bool:
        """Whether `owner.name` exists: owner is a module or a followed class, as a qualified name."""
        if owner == "dbos":
            return hasattr(self.module, name)
        if owner == "dbos.error":
            return hasattr(self.error, name)
        cls = self.class_of(owner)
        return cls is not None and name in self._members[cls]

    def resolve_import(self, module: str, name: str) -> str | None:
        """Canonical qualified name of `from module import name`, or None when it does not exist."""
        if (module, name) not in self._imports:
            self._imports[(module, name)] = self._resolve_import(module, name)
        return self._imports[(module, name)]

    def _resolve_import(self, module: str, name: str) -> str | None:
        try:
            value = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return None
        for owner, namespace in (("dbos", self.module), ("dbos.error", self.error)):
            for public in _public(dir(namespace)):
                if getattr(namespace, public, None) is value:
                    return f"{owner}.{public}"
        return f"{module}.{name}"

    def callable(self, qual: str) -> Any:
        """The object behind a qualified name, without running properties; None when not callable."""
        owner, _, name = qual.rpartition(".")
        if qual.startswith("dbos.") and self.class_of(qual):
            return self.classes[qual.removeprefix("dbos.")]
        if self.is_module(owner):
            value = getattr(self.error if owner == "dbos.error" else self.module, name, None)
            return value if callable(value) else None
        cls = self.class_of(owner)
        try:
            static = inspect.getattr_static(self.classes[cls], name) if cls else None
        except AttributeError:
            return None
        if cls is None or static is None:
            return None
        if isinstance(static, (classmethod, staticmethod)):
            return getattr(self.classes[cls], name)
        return static if inspect.isfunction(static) else None

    def signature(self, qual: str) -> inspect.Signature | None:
        """The signature of a callable (read once per name), or None when unknown."""
        if qual not in self._signatures:
            obj = self.callable(qual)
            self._signatures[qual] = _signature(obj) if obj is not None else None
        return self._signatures[qual]

    def parameters(self, qual: str) -> list[inspect.Parameter] | None:
        """Parameters of a callable as a caller sees them (no `self`), or None when unknown."""
        signature = self.signature(qual)
        if signature is None:
            return None
        params = list(signature.parameters.values())
        owner = qual.rpartition(".")[0]
        if self.class_of(owner) and params and params[0].name == "self":
            params = params[1:]
        return params

    def keywords(self, qual: str) -> frozenset[str] | None:
        """Keyword names a call accepts; None when anything goes (`**kwargs`) or the callee is unknown."""
        name = qual.removeprefix("dbos.")
        if name in self.typed_dicts:
            return self.typed_dicts[name]
        params = self.parameters(qual)
        if params is None or any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))

    def returns(self, qual: str) -> str | None:
        """Qualified class a call returns, when it is a followed class (constructors included)."""
        if self.class_of(qual):
            return qual
        signature = self.signature(qual)
        if signature is None or signature.return_annotation is inspect.Signature.empty:
            return None
        match = _RETURN.match(_annotation_text(signature.return_annotation))
        return f"dbos.{match.group(1)}" if match and match.group(1) in self.classes else None

    def typed_arguments(self, qual: str) -> dict[int | str, str]:
        """Arguments of a call that take one of the TypedDicts: position and keyword -> TypedDict name."""
        if qual not in self._typed_arguments:
            self._typed_arguments[qual] = self._find_typed_arguments(qual)
        return self._typed_arguments[qual]

    def _find_typed_arguments(self, qual: str) -> dict[int | str, str]:
        found: dict[int | str, str] = {}
        for index, param in enumerate(self.parameters(qual) or []):
            words = set(re.findall(r"\w+", _annotation_text(param.annotation)))
            for typed in self.typed_dicts:
                if typed in words:
                    found[param.name] = typed
                    if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                        found[index] = typed
        return found

    # --- inventory --------------------------------------------------------------------------------------

    def categories(self) -> list[str]:
        return [*CLASSES, "dbos", "dbos.error", *TYPED_DICTS, *PARAMETERS]

    def items(self) -> list[ApiItem]:
        items: list[ApiItem] = []
        for name, cls in self.classes.items():
            items += pair_items(name, _public(class_members(cls)))
        items += [ApiItem("dbos", name, (name,)) for name in self.module.__all__]
        items += [ApiItem("dbos.error", name, (name,)) for name in sorted(self.exceptions)]
        for typed, keys in self.typed_dicts.items():
            items += [ApiItem(typed, key, (key,)) for key in sorted(keys)]
        for category, callees in PARAMETERS.items():
            params = self.parameters(callees[0]) or []
            optional = [p.name for p in params if p.default is not p.empty and p.kind is not p.VAR_KEYWORD]
            items += [ApiItem(category, name, (name,)) for name in optional]
        return items


def _distribution_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dbos")
    except PackageNotFoundError:
        return "unknown"


@cache
def introspect() -> Api:
    """The installed dbos, read once per process."""
    return Api()


def inventory() -> list[ApiItem]:
    """Every item the coverage report counts, for the installed dbos."""
    return introspect().items()
