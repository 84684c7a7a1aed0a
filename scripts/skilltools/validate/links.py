"""The SKILL.md index and every relative link (inline or reference-style) of the shipped Markdown."""

from __future__ import annotations

from pathlib import Path

from ..model import Problem, Skill
from ..parse import SKILL_FILE
from ..rules import problem


def exists(path: Path, *, as_file: bool = False) -> bool:
    """exists()/is_file(), but a name the OS refuses (too long, ...) is just missing (found by fuzzing)."""
    try:
        return path.is_file() if as_file else path.exists()
    except OSError:
        return False


def linked_files(skill: Skill) -> list[str]:
    """Skill-relative paths of every file the shipped Markdown links to."""
    found = (link.resolved for doc in skill.documents for link in doc.links if not link.external and link.file)
    return [path for path in found if path]


def check_links(skill: Skill) -> list[Problem]:
    docs = {doc.path: doc for doc in skill.documents}
    problems = []
    for doc in skill.documents:
        for link in doc.links:
            if link.external:
                continue
            target_path = link.resolved
            if target_path is None:
                detail = f"link {link.target!r} leaves the skill folder"
                problems.append(problem("SKL401", doc.path, link.line, detail=detail))
                continue
            index_entry = doc is skill.skill_md and link.file.startswith("references/")
            if index_entry and not exists(skill.root / target_path):
                continue  # check_index reports missing index entries
            if link.file and not exists(skill.root / target_path):
                detail = f"link {link.target!r}: {target_path} does not exist"
                problems.append(problem("SKL401", doc.path, link.line, detail=detail))
                continue
            if link.anchor and target_path.endswith(".md"):
                target_doc = docs.get(target_path)
                if target_doc is not None and link.anchor not in target_doc.anchors:
                    slots = {"target": link.target, "anchor": link.anchor, "path": target_path}
                    problems.append(problem("SKL402", doc.path, link.line, **slots))
    return problems


def check_index(skill: Skill) -> list[Problem]:
    """SKILL.md links every rule file, and every references/ link in it names an existing file."""
    doc = skill.skill_md
    if doc is None:
        return []
    indexed: dict[str, int] = {}
    problems = []
    for link in doc.links:
        if link.external or not link.file.startswith("references/"):
            continue
        target = link.file
        if target.count("/") > 1:
            problems.append(problem("SKL303", SKILL_FILE, link.line, target=target))
        indexed.setdefault(target, link.line)
        if not exists(skill.root / target, as_file=True):
            problems.append(problem("SKL302", SKILL_FILE, link.line, target=target))
    for ref in skill.references:
        if ref.path not in indexed:
            problems.append(problem("SKL301", ref.path, 1, path=ref.path))
    return problems
