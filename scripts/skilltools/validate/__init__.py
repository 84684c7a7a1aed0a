"""Checks over the parsed skill, one module per section; each `check_*` reads the model and returns problems.

`validate(skill, profile)` runs them: `spec` keeps what the Agent Skills specification requires of any skill,
`house` (the default for this skill) adds this project's authoring rules. Every problem says its profile.
"""

from __future__ import annotations

from .. import compat
from ..askill_check import check_askill
from ..model import Problem, Skill
from ..rules import Profile
from .content import check_blocks, check_text
from .links import check_index, check_links
from .references import check_reference
from .shipping import check_manifest
from .skill_md import MAX_BODY_LINES, MAX_BODY_TOKENS, BodyBudget, body_budget, check_skill_md
from .unread import check_unread

__all__ = ["MAX_BODY_LINES", "MAX_BODY_TOKENS", "BodyBudget", "body_budget", "failed", "validate"]


def validate(skill: Skill, profile: Profile = "house") -> list[Problem]:
    """Every problem in the skill for `profile`, sorted by file and line (notes included)."""
    problems = [*skill.problems, *check_skill_md(skill)]
    if profile == "house":
        problems += check_manifest(skill) + check_index(skill) + check_links(skill)
        problems += check_askill(skill) + compat.check_evidence(skill)
        for ref in skill.references:
            problems += check_reference(skill, ref)
        for doc in skill.documents:
            problems += check_text(doc) + check_blocks(doc)
    else:
        problems = [p for p in problems if p.profile == "spec"]
    problems += check_unread(skill, profile)
    return sorted(set(problems))


def failed(problems: list[Problem]) -> bool:
    """True when any problem is an error (notes never fail a run)."""
    return any(p.severity == "error" for p in problems)
