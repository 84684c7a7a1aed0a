"""Say what was not read: folders of Markdown (rules/, reference/, ...) that no check looks at.

A skill laid out differently (rules in `rules/` instead of `references/`) would otherwise validate clean while
most of its text went unchecked. These are notes: they never fail a run.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import PurePosixPath

from ..model import Problem, Skill
from ..rules import Profile, problem
from .skill_md import is_source_checkout

SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", "dist"}
CHECKOUT_DIRS = {"docs", "tests", "evals", "examples", "bench", "scripts", ".github", ".ci"}
"""In a source checkout these hold maintainer Markdown, not skill content."""
MAX_FILES = 10_000


def markdown_files(skill: Skill) -> list[str]:
    """Skill-relative paths of the Markdown files under the root (hidden and tool folders skipped)."""
    found: list[str] = []
    for folder, dirs, files in os.walk(skill.root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        rel = PurePosixPath(os.path.relpath(folder, skill.root))
        found += [(rel / name).as_posix().removeprefix("./") for name in sorted(files) if name.endswith(".md")]
        if len(found) > MAX_FILES:
            break
    return found


def check_unread(skill: Skill, profile: Profile) -> list[Problem]:
    """One note per top-level folder holding Markdown that the chosen profile does not read."""
    tried = {doc.path for doc in skill.documents} | {p.path for p in skill.problems}
    read = tried if profile == "house" else {"SKILL.md"}
    checkout = is_source_checkout(skill)
    counts: Counter[str] = Counter()
    for rel in markdown_files(skill):
        top = rel.split("/", 1)[0] if "/" in rel else ""
        if rel in read or top == "" or (checkout and top in CHECKOUT_DIRS):
            continue  # Markdown beside SKILL.md (README, CHANGELOG, AGENTS.md) is not skill content
        counts[f"{top}/"] += 1
    why = "only SKILL.md and references/*.md are checked" if profile == "house" else "--profile spec reads SKILL.md"
    return [
        problem("SKL005", folder, 1, profile, folder=folder, count=count, why=why)
        for folder, count in sorted(counts.items())
    ]
