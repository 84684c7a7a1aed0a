"""The only reader of the skill's files: Markdown through markdown-it-py, YAML through a strict safe loader.

Reading collects problems instead of raising, so one bad file never hides the others: a file that cannot be
read becomes a `Problem` and is left out of the model.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from .markdown import parse_markdown, slugify
from .model import Document, Manifest, Problem, Reference, Section, Skill
from .rules import problem
from .strict_yaml import ParseError, load_yaml, split_frontmatter

__all__ = ["ParseError", "load_yaml", "parse_markdown", "slugify", "split_frontmatter"]

MAX_FILE_BYTES = 1024 * 1024
SKILL_FILE = "SKILL.md"
MANIFEST_FILE = "askill.yaml"
REFERENCES_DIR = "references"
SECTIONS_FILE = "references/sections.md"


# --- files -----------------------------------------------------------------------------------------------


def read_text(root: Path, rel: str) -> str:
    """Read a UTF-8 text file inside `root`, refusing what would confuse every later stage."""
    path = root / rel
    if any(part.is_symlink() for part in [path, *path.parents] if part.is_relative_to(root) and part != root):
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop (found by fuzzing)
            raise ParseError(problem("SKL004", rel, 1, detail="symlink loop; copy the file in instead")) from None
        if not target.is_relative_to(root.resolve()):
            # Every component counts: a symlinked folder (references/ -> elsewhere) ships outside files too.
            detail = f"a symlink on this path leads outside the skill folder ({target}); copy the files in instead"
            raise ParseError(problem("SKL004", rel, 1, detail=detail))
    if not path.exists():
        raise ParseError(problem("SKL001", rel, 1, detail="file is missing"))
    if not path.is_file():
        raise ParseError(problem("SKL001", rel, 1, detail="expected a file, found a directory or special file"))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(problem("SKL003", rel, 1, size=size, limit=MAX_FILE_BYTES))
    data = path.read_bytes()
    if b"\x00" in data:
        raise ParseError(
            problem("SKL002", rel, 1, detail="file is binary (contains NUL bytes); only UTF-8 text is allowed")
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(
            problem("SKL002", rel, line, detail=f"not valid UTF-8 at byte {exc.start}; save the file as UTF-8")
        ) from None
    # A BOM and CRLF line ends are harmless to people but trip naive tools; normalise without moving lines.
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


_SECTION_HEADING = re.compile(r"^(\d+)\.\s+(.+?)\s+\(([a-z][a-z0-9]*)\)$")
_FIELD = re.compile(r"^\*\*(Impact|Description):\*\*\s*(.+)$")


def parse_sections(doc: Document) -> tuple[list[Section], list[Problem]]:
    """Read the categories from references/sections.md (`## N. Title (prefix)` + Impact/Description)."""
    sections: list[Section] = []
    problems: list[Problem] = []
    lines = doc.text.split("\n")
    for heading in doc.headings:
        if heading.level != 2:
            continue
        match = _SECTION_HEADING.match(heading.text)
        if not match:
            problems.append(
                problem(
                    "SKL504",
                    doc.path,
                    heading.line,
                    detail=f"section heading {heading.text!r} is not '## N. Title (prefix)'",
                )
            )
            continue
        fields: dict[str, str] = {}
        for line in lines[heading.line : heading.line + 6]:
            if line.startswith("## "):
                break
            field_match = _FIELD.match(line.strip())
            if field_match:
                fields[field_match.group(1)] = field_match.group(2).strip()
        missing = [name for name in ("Impact", "Description") if name not in fields]
        if missing:
            problems.append(problem("SKL504", doc.path, heading.line, detail=f"section lacks **{missing[0]}:** line"))
            continue
        number, title, prefix = match.groups()
        sections.append(Section(int(number), title, prefix, fields["Impact"], fields["Description"], heading.line))
    if not sections and not problems:
        problems.append(problem("SKL504", doc.path, 1, detail="no '## N. Title (prefix)' sections found"))
    return sections, problems


# --- the whole skill -------------------------------------------------------------------------------------


def _in_profile(found: list[Problem], rel: str) -> list[Problem]:
    """The specification asks things of SKILL.md only: reading problems of any other file are house ones."""
    return found if rel == SKILL_FILE else [replace(p, profile="house") for p in found]


def load_document(root: Path, rel: str, problems: list[Problem]) -> Document | None:
    try:
        doc = parse_markdown(rel, read_text(root, rel))
    except ParseError as error:
        problems += _in_profile([error.problem], rel)
        return None
    problems += _in_profile(list(doc.problems), rel)
    return doc


def load_manifest(root: Path, problems: list[Problem]) -> Manifest | None:
    found: list[Problem] = []
    try:
        data, key_lines = load_yaml(read_text(root, MANIFEST_FILE), MANIFEST_FILE, problems=found)
    except ParseError as error:
        problems += _in_profile([*found, error.problem], MANIFEST_FILE)
        return None
    problems += _in_profile(found, MANIFEST_FILE)
    if not isinstance(data, dict):
        problems.append(problem("SKL102", MANIFEST_FILE, 1, "house", detail="askill.yaml must be a YAML mapping"))
        return Manifest(MANIFEST_FILE, None, {})
    return Manifest(MANIFEST_FILE, data, key_lines)


def load_skill(root: Path | str) -> Skill:
    """Parse SKILL.md, references/*.md and askill.yaml under `root` into one model."""
    root = Path(root).resolve()
    problems: list[Problem] = []
    skill_md = load_document(root, SKILL_FILE, problems)

    references: list[Reference] = []
    extra: list[Document] = []
    sections: list[Section] = []
    ref_dir = root / REFERENCES_DIR
    if ref_dir.is_dir():
        for path in sorted(ref_dir.iterdir()):
            if path.suffix != ".md":
                continue
            rel = f"{REFERENCES_DIR}/{path.name}"
            doc = load_document(root, rel, problems)
            if doc is None:
                continue
            if path.name.startswith("_") or rel == SECTIONS_FILE:  # not rule files
                extra.append(doc)
                if rel == SECTIONS_FILE:
                    found, section_problems = parse_sections(doc)
                    sections.extend(found)
                    problems.extend(section_problems)
            else:
                references.append(Reference(doc))
    if not (root / SECTIONS_FILE).exists():
        problems.append(
            problem("SKL504", SECTIONS_FILE, 1, detail="missing: it defines the categories, prefixes and impacts")
        )

    return Skill(
        root=root,
        skill_md=skill_md,
        references=tuple(references),
        sections=tuple(sections),
        manifest=load_manifest(root, problems),
        extra_docs=tuple(extra),
        problems=tuple(problems),
    )
