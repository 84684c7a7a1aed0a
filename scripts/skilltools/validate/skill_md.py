"""SKILL.md itself: its frontmatter against the specification and the house schema, and its body budget."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Document, Problem, Skill
from ..parse import SKILL_FILE
from ..rules import problem
from .schema import check_schema

MAX_BODY_LINES = 500
MAX_BODY_TOKENS = 5000
CHARS_PER_TOKEN = 4
"""A common rule of thumb for English prose and code with BPE tokenizers; good enough for a budget."""


@dataclass(frozen=True)
class BodyBudget:
    lines: int
    tokens: int

    def __str__(self) -> str:
        return (
            f"SKILL.md body: {self.lines} lines (limit {MAX_BODY_LINES}), "
            f"~{self.tokens} tokens (limit {MAX_BODY_TOKENS})"
        )


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def body_budget(doc: Document) -> BodyBudget:
    body = doc.body
    return BodyBudget(len(body.rstrip("\n").split("\n")) if body.strip() else 0, estimate_tokens(body))


def is_source_checkout(skill: Skill) -> bool:
    """A repository checkout (with tooling) rather than a built or unpacked skill folder."""
    return (skill.root / "pyproject.toml").exists()


def check_skill_md(skill: Skill) -> list[Problem]:
    """Specification problems (SKL106, SKL201), then house ones the specification does not already report."""
    doc = skill.skill_md
    if doc is None:
        return []
    if doc.frontmatter is None:
        return [
            problem("SKL101", SKILL_FILE, 1, detail="missing YAML frontmatter ('---' block with name and description)")
        ]
    front = doc.frontmatter
    spec = check_schema(front, "skill-spec", SKILL_FILE, doc.key_lines, 1, "SKL106")
    said = {p.message for p in spec}
    house = [p for p in check_schema(front, "skill", SKILL_FILE, doc.key_lines, 1) if p.message not in said]
    problems = spec + house
    name = front.get("name")
    if isinstance(name, str) and not is_source_checkout(skill) and name != skill.root.name:
        problems.append(problem("SKL201", SKILL_FILE, doc.key_lines.get("name", 1), name=name, folder=skill.root.name))
    budget = body_budget(doc)
    if budget.lines > MAX_BODY_LINES:
        problems.append(problem("SKL205", SKILL_FILE, doc.body_line, lines=budget.lines, limit=MAX_BODY_LINES))
    if budget.tokens > MAX_BODY_TOKENS:
        problems.append(problem("SKL206", SKILL_FILE, doc.body_line, tokens=budget.tokens, limit=MAX_BODY_TOKENS))
    return problems
