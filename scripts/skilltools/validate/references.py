"""Rule files in references/: name, frontmatter, category, heading, why-paragraph, examples, docs link."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from ..model import Document, Problem, Reference, Skill
from ..rules import problem
from .schema import check_schema

RULE_FILE_NAME = re.compile(r"^([a-z]+)-[a-z0-9]+(-[a-z0-9]+)*\.md$")
DOCS_LINK = re.compile(r"https://docs\.dbos\.dev/\S+")


def check_reference(skill: Skill, ref: Reference) -> list[Problem]:
    doc = ref.doc
    problems: list[Problem] = []
    name = PurePosixPath(doc.path).name
    if not RULE_FILE_NAME.match(name):
        problems.append(problem("SKL506", doc.path, 1, name=name))
    if doc.frontmatter is None:
        detail = "missing YAML frontmatter (title, impact, impactDescription, tags)"
        return [*problems, problem("SKL101", doc.path, 1, "house", detail=detail)]
    front = doc.frontmatter
    problems += check_schema(front, "rule", doc.path, doc.key_lines, 1)
    section = skill.section_for(ref.prefix)
    if section is None:
        known = ", ".join(s.prefix for s in skill.sections)
        problems.append(problem("SKL501", doc.path, 1, prefix=ref.prefix, known=known))
    elif front.get("impact") != section.impact:
        slots = {"impact": front.get("impact"), "section": section.title, "expected": section.impact}
        problems.append(problem("SKL502", doc.path, doc.key_lines.get("impact", 1), **slots))
    problems += _check_rule_heading(doc, front.get("title"))
    problems += _check_examples(doc)
    if not DOCS_LINK.search(doc.text):
        problems.append(problem("SKL608", doc.path, len(doc.text.rstrip("\n").split("\n"))))
    return problems


def _check_rule_heading(doc: Document, title: Any) -> list[Problem]:
    h2 = [h for h in doc.headings if h.level == 2]
    if not h2:
        return [problem("SKL503", doc.path, doc.body_line, detail="no '## <title>' heading")]
    problems = []
    first = h2[0]
    if isinstance(title, str) and first.text != title:
        detail = f"heading {first.text!r} differs from title {title!r}"
        problems.append(problem("SKL503", doc.path, first.line, detail=detail))
    first_block = doc.blocks[0].line if doc.blocks else 10**9
    next_heading = next((h.line for h in doc.headings if h.line > first.line), 10**9)
    stop = min(first_block, next_heading)
    prose = [text for line, text in doc.paragraphs if first.line < line < stop and not text.startswith("**")]
    if not prose:
        problems.append(problem("SKL613", doc.path, first.line))
    return problems


def _check_examples(doc: Document) -> list[Problem]:
    problems = []
    labels = {block.label for block in doc.blocks}
    if "Incorrect" not in labels:
        problems.append(problem("SKL604", doc.path, doc.body_line))
    if "Correct" not in labels:
        problems.append(problem("SKL605", doc.path, doc.body_line))
    return problems
