"""The whole scan: every python program (through program_uses) and the prose around them.

Prose is read by spelling: `DBOS.x`-style names anywhere outside python blocks (checked for drift), and
identifiers inside inline code spans and non-python blocks (weak uses only). `dbos.x` in prose is not
checked: it is as often a table of the `dbos` schema as a module attribute.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ..model import Document, Program, Skill
from .dbos_api import CLASSES, PARAMETERS, Api
from .program_uses import ProgramScanner, Strength, Unknown, Use, display

RECEIVERS = {
    "client": ("DBOSClient",),
    "queue": ("Queue",),
    "handle": ("WorkflowHandle", "WorkflowHandleAsync"),
    "debouncer": ("Debouncer",),
}
"""Variable names that, in prose, stand for an instance (`client.enqueue` is DBOSClient.enqueue)."""
_MEMBER = re.compile(r"(?<![\w.])(" + "|".join(sorted(CLASSES, key=len, reverse=True)) + r")\.(\w+)")
_RECEIVER = re.compile(r"(?<![\w.])(" + "|".join(RECEIVERS) + r")\.(\w+)")
_ERROR = re.compile(r"(?<![\w.])error\.(DBOS\w*)")
_IMPORT = re.compile(r"\bfrom (dbos(?:\.\w+)*) import ([\w, ]+)")
_WORD = re.compile(r"[A-Za-z_]\w*")


def strength(program: Program) -> Strength:
    """Correct and unlabelled programs teach the API; Incorrect ones (or expect=/lint=) only show misuse."""
    return "weak" if program.label == "Incorrect" or program.kind != "runs" else "strong"


def _category(api: Api, qual: str) -> tuple[str, str] | None:
    """(category, name) of a referenced qualified name, when it is inventoried."""
    owner, _, name = qual.rpartition(".")
    return (display(owner), name) if api.is_module(owner) or api.class_of(owner) else None


def scan_program(api: Api, program: Program) -> tuple[list[Use], list[Unknown]]:
    try:
        tree = ast.parse(program.source)
    except SyntaxError:
        return [], []  # the example checker reports it
    scanner = ProgramScanner(api)
    scanner.scan(tree)
    level = strength(program)
    found: list[tuple[str, str, int]] = []
    for qual, line in scanner.refs:
        category = _category(api, qual)
        found += [(*category, line)] if category else []
    for callee, keyword, line in scanner.kwargs:
        found += [(category, keyword, line) for category, callees in PARAMETERS.items() if callee in callees]
    found += scanner.keys
    md_line = program.md_line
    uses = [Use(category, name, program.path, md_line(line), level) for category, name, line in found]
    # An Incorrect example whose `expect=` names a dbos exception proves that exception is raised: the checker
    # fails unless exactly that type escapes. That is a strong, executed use of the exception class.
    expectation = program.expect
    if expectation and expectation.short_type in api.exceptions:
        uses.append(Use(display("dbos.error"), expectation.short_type, program.path, program.line, "strong"))
    unknown = [Unknown(c, n, program.path, md_line(line), i, m) for c, n, line, i, m in scanner.unknown]
    return uses, unknown


def _prose_lines(doc: Document) -> Iterator[tuple[int, str, list[str]]]:
    """(line, text, code spans) of every line outside python blocks; a line of another block is one span."""
    skipped: set[int] = set()
    verbatim: set[int] = set()
    for block in doc.blocks:
        whole = range(block.line, block.end_line + 1)
        if block.lang == "python":
            skipped.update(whole)
        else:
            skipped.update({block.line, block.end_line} if block.closed else {block.line})
            verbatim.update(n for n in whole if n not in skipped)
    spans: dict[int, list[str]] = {}
    for line, content in doc.code_spans:
        spans.setdefault(line, []).append(content)
    for number, text in enumerate(doc.text.split("\n"), start=1):
        if number not in skipped:
            yield number, text, [text] if number in verbatim else spans.get(number, [])


def scan_prose(api: Api, doc: Document, words: dict[str, list[tuple[str, str]]]) -> tuple[list[Use], list[Unknown]]:
    uses: list[Use] = []
    unknown: list[Unknown] = []
    version = api.version

    def found(category: str, name: str, line: int, exists: bool, id: str, message: str) -> None:
        if exists:
            uses.append(Use(category, name, doc.path, line, "weak"))
        else:
            unknown.append(Unknown(category, name, doc.path, line, id, message))

    for line, text, spans in _prose_lines(doc):
        for match in _MEMBER.finditer(text):
            cls, name = match.groups()
            message = f"{cls}.{name} does not exist in dbos {version}"
            found(cls, name, line, api.has(f"dbos.{cls}", name), "COV001", message)
        for match in _RECEIVER.finditer(text):
            for cls in RECEIVERS[match.group(1)]:
                if api.has(f"dbos.{cls}", match.group(2)):
                    uses.append(Use(cls, match.group(2), doc.path, line, "weak"))
        for span in spans:
            for match in _ERROR.finditer(span):
                name = match.group(1)
                message = f"error.{name} does not exist in dbos {version}"
                found("dbos.error", name, line, api.has("dbos.error", name), "COV001", message)
            for match in _IMPORT.finditer(span):
                for name in filter(None, (n.strip() for n in match.group(2).split(","))):
                    exists = api.resolve_import(match.group(1), name) is not None
                    message = f"`from {match.group(1)} import {name}`: dbos {version} has no such name"
                    found(f"from {match.group(1)}", name, line, exists, "COV002", message)
            for word in set(_WORD.findall(span)):
                uses += [Use(category, name, doc.path, line, "weak") for category, name in words.get(word, [])]
    return uses, unknown


def word_index(api: Api) -> dict[str, list[tuple[str, str]]]:
    """Spelling -> (category, variant) for prose matching. Bare class members count only when their name
    holds an underscore (`start_workflow`), so that `send` or `launch` in a sentence does not."""
    index: dict[str, list[tuple[str, str]]] = {}
    for item in api.items():
        for variant in item.variants:
            if item.category not in CLASSES or "_" in variant:
                index.setdefault(variant, []).append((item.category, variant))
    return index


def scan(skill: Skill, api: Api) -> tuple[list[Use], list[Unknown]]:
    """Every use and every unknown name in SKILL.md, the references and the other shipped Markdown."""
    uses: list[Use] = []
    unknown: list[Unknown] = []
    for program in skill.programs:
        more, missing = scan_program(api, program)
        uses += more
        unknown += missing
    words = word_index(api)
    for doc in skill.documents:
        more, missing = scan_prose(api, doc, words)
        uses += more
        unknown += missing
    return uses, unknown
