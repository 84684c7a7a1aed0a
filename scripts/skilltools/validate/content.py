"""Every shipped Markdown file: prose (placeholders, empty sections, fences) and code blocks (options, labels
and proofs, data that must parse)."""

from __future__ import annotations

import json
import re
import sys

import yaml

from .. import compat
from ..expectation import SYNTAX, Expectation
from ..model import CodeBlock, Document, Problem, Program, info_words
from ..parse import ParseError, load_yaml
from ..rules import problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX)\b|lorem ipsum|<placeholder>|\[insert [^\]]*\]", re.IGNORECASE)
PYTHON_SETTINGS = {"expect", "lint", "timeout", "before"}
PYTHON_TAGS = {"continues", "pytest"}
LINT_ID = re.compile(r"^DBOS\d{3}$")
PARSED_LANGUAGES = {"yaml", "yml", "json", "toml"}
LABEL_LINE = re.compile(r"^\s*\*\*(Incorrect|Correct)\*\*")
"""A label paragraph inside a code block: the fence before it was closed too late (or not at all)."""


def check_text(doc: Document) -> list[Problem]:
    """Placeholders, empty sections, unclosed fences and fences that swallow a label paragraph."""
    problems = []
    for number, text in enumerate(doc.text.split("\n"), start=1):
        if number in doc.code_lines:
            continue
        match = PLACEHOLDER.search(text)
        if match:
            problems.append(problem("SKL602", doc.path, number, text=match.group(0)))
    for heading in doc.headings:
        if heading.empty:
            problems.append(problem("SKL601", doc.path, heading.line, heading=heading.text))
    for block in doc.blocks:
        if not block.closed:
            problems.append(problem("SKL603", doc.path, block.line))
        for index, line in enumerate(block.source.split("\n")):
            match = LABEL_LINE.match(line)
            if match:
                label = f"**{match.group(1)}**"
                problems.append(
                    problem("SKL614", doc.path, block.line, label=label, line=block.first_code_line + index)
                )
                break
    return problems


def check_blocks(doc: Document) -> list[Problem]:
    """Fence info strings, labels and proofs; data blocks must parse."""
    problems: list[Problem] = []
    for block in doc.blocks:
        lang = block.lang.lower()
        if lang in PARSED_LANGUAGES:
            problems += _check_data_block(block, lang)
        if lang == "python":
            problems += _check_python_info(block)
    for program in doc.programs:
        if "continues" in program.head.tags:
            problems.append(problem("SKL612", doc.path, program.line))
        problems += _check_program(program)
    return problems


def _check_python_info(block: CodeBlock) -> list[Problem]:
    details = []
    for word in info_words(block.info)[1:]:
        key = word.split("=", 1)[0]
        if ("=" in word and key not in PYTHON_SETTINGS) or ("=" not in word and word not in PYTHON_TAGS):
            allowed = ", ".join(sorted(PYTHON_TAGS | {f"{k}=" for k in PYTHON_SETTINGS}))
            details.append(f"unknown fence option {word!r} (allowed: {allowed})")
    settings = block.settings
    if "expect" in settings and Expectation.parse(settings["expect"]) is None:
        details.append(f"expect={settings['expect']} is not {SYNTAX}")
    if "lint" in settings and not LINT_ID.match(settings["lint"]):
        details.append(f"lint={settings['lint']!r} is not a rule id like DBOS201")
    if "before" in settings and (compat.before_range(settings) is None or "expect" not in settings):
        details.append(
            f"before={settings['before']} needs a dbos version range like '<3' and an expect= for newer releases"
        )
    if "timeout" in settings:
        try:
            ok = 0 < float(settings["timeout"]) <= 600
        except ValueError:
            ok = False
        if not ok:
            details.append(f"timeout={settings['timeout']!r} must be a number of seconds in (0, 600]")
    return [problem("SKL609", block.path, block.line, detail=detail) for detail in details]


def _check_program(program: Program) -> list[Problem]:
    """A program (a block plus its `continues` parts): its label agrees with how it is proven."""
    proven = program.kind != "runs"
    if program.label == "Incorrect" and not proven:
        return [problem("SKL606", program.path, program.line)]
    if program.label == "Correct" and proven:
        return [problem("SKL607", program.path, program.line)]
    if program.label == "Correct" and not re.search(r"\bassert\b", program.source):
        return [problem("SKL611", program.path, program.line)]
    return []


def _check_data_block(block: CodeBlock, lang: str) -> list[Problem]:
    try:
        if lang in ("yaml", "yml"):
            load_yaml(block.source, block.path, block.first_code_line)
        elif lang == "json":
            json.loads(block.source)
        else:
            tomllib.loads(block.source)
    except ParseError as error:
        return [problem("SKL610", block.path, error.problem.line, lang="yaml", detail=error.problem.message)]
    except (ValueError, yaml.YAMLError) as error:
        return [problem("SKL610", block.path, block.line, lang=lang, detail=str(error).splitlines()[0])]
    return []
