"""askill.yaml: its schema, agreement with SKILL.md, and what it ships (everything needed, nothing unsafe)."""

from __future__ import annotations

from dataclasses import replace

from ..manifest import shipped_files, through_symlink
from ..model import Problem, Skill
from ..parse import MANIFEST_FILE, SKILL_FILE, ParseError, read_text
from ..rules import problem
from .links import exists, linked_files
from .schema import check_schema


def check_manifest(skill: Skill) -> list[Problem]:
    manifest = skill.manifest
    if manifest is None or manifest.data is None:
        return []
    data = manifest.data
    problems = check_schema(data, "askill", MANIFEST_FILE, manifest.key_lines, 1)
    front = skill.skill_md.frontmatter if skill.skill_md else None
    if front is None:
        return problems
    line = manifest.key_lines.get
    if data.get("name") != front.get("name"):
        problems.append(
            problem("SKL202", MANIFEST_FILE, line("name", 1), name=data.get("name"), skill=front.get("name"))
        )
    metadata = front.get("metadata")
    skill_version = metadata.get("version") if isinstance(metadata, dict) else None
    if data.get("version") != skill_version:
        slots = {"version": data.get("version"), "skill": skill_version}
        problems.append(problem("SKL203", MANIFEST_FILE, line("version", 1), **slots))
    if data.get("description") != front.get("description"):
        detail = "description differs from SKILL.md description; keep them identical"
        problems.append(problem("SKL204", MANIFEST_FILE, line("description", 1), detail=detail))
    if data.get("license") != front.get("license"):
        detail = f"license {data.get('license')!r} differs from SKILL.md license {front.get('license')!r}"
        problems.append(problem("SKL204", MANIFEST_FILE, line("license", 1), detail=detail))
    problems += check_shipped(skill)
    return problems


def check_shipped(skill: Skill) -> list[Problem]:
    """Every manifest entry matches something, everything the skill needs is shipped, and every shipped file
    is UTF-8 text under the size limit (not only the Markdown: a 2 MB LICENSE must not ship either)."""
    manifest = skill.manifest
    assert manifest is not None and manifest.data is not None
    files_line = manifest.key_lines.get("files", 1)
    shipped, entry_problems = shipped_files(skill.root, manifest.data.get("files"), files_line)
    problems = list(entry_problems)
    needed = [SKILL_FILE, MANIFEST_FILE] + [doc.path for doc in skill.documents] + linked_files(skill)
    for path in dict.fromkeys(needed):
        if (
            exists(skill.root / path, as_file=True)
            and not through_symlink(skill.root, skill.root / path)
            and path not in shipped
        ):
            problems.append(problem("SKL702", MANIFEST_FILE, files_line, path=path))
    read = {doc.path for doc in skill.documents} | {MANIFEST_FILE, SKILL_FILE}
    for rel in shipped:
        if rel not in read:
            try:
                read_text(skill.root, rel)
            except ParseError as error:
                problems.append(replace(error.problem, profile="house"))
    return problems
