"""The only reader of the skill's files: Markdown through markdown-it-py, YAML through a strict safe loader.

Reading collects problems instead of raising, so one bad file never hides the others: a file that cannot be
read becomes a `Problem` and is left out of the model.
"""

from __future__ import annotations

import re
from pathlib import Path

from .markdown import parse_markdown, slugify
from .model import Document, Manifest, Problem, Reference, Section, Skill
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
    if path.is_symlink():
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop (found by fuzzing)
            raise ParseError(Problem(rel, 1, "SKL004", "symlink loop; copy the file in instead")) from None
        if not target.is_relative_to(root.resolve()):
            raise ParseError(
                Problem(
                    rel, 1, "SKL004", f"symlink points outside the skill folder ({target}); copy the file in instead"
                )
            )
    if not path.exists():
        raise ParseError(Problem(rel, 1, "SKL001", "file is missing"))
    if not path.is_file():
        raise ParseError(Problem(rel, 1, "SKL001", "expected a file, found a directory or special file"))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(
            Problem(rel, 1, "SKL003", f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit; split it")
        )
    data = path.read_bytes()
    if b"\x00" in data:
        raise ParseError(Problem(rel, 1, "SKL002", "file is binary (contains NUL bytes); only UTF-8 text is allowed"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(
            Problem(rel, line, "SKL002", f"not valid UTF-8 at byte {exc.start}; save the file as UTF-8")
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
                Problem(
                    doc.path, heading.line, "SKL504", f"section heading {heading.text!r} is not '## N. Title (prefix)'"
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
            problems.append(Problem(doc.path, heading.line, "SKL504", f"section lacks **{missing[0]}:** line"))
            continue
        number, title, prefix = match.groups()
        sections.append(Section(int(number), title, prefix, fields["Impact"], fields["Description"], heading.line))
    if not sections and not problems:
        problems.append(Problem(doc.path, 1, "SKL504", "no '## N. Title (prefix)' sections found"))
    return sections, problems


# --- the whole skill -------------------------------------------------------------------------------------


def load_document(root: Path, rel: str, problems: list[Problem]) -> Document | None:
    try:
        return parse_markdown(rel, read_text(root, rel))
    except ParseError as error:
        problems.append(error.problem)
        return None


def load_manifest(root: Path, problems: list[Problem]) -> Manifest | None:
    try:
        data, key_lines = load_yaml(read_text(root, MANIFEST_FILE), MANIFEST_FILE)
    except ParseError as error:
        problems.append(error.problem)
        return None
    if not isinstance(data, dict):
        problems.append(Problem(MANIFEST_FILE, 1, "SKL102", "askill.yaml must be a YAML mapping"))
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
        problems.append(Problem(SECTIONS_FILE, 1, "SKL504", "missing: it defines the categories, prefixes and impacts"))

    return Skill(
        root=root,
        skill_md=skill_md,
        references=tuple(references),
        sections=tuple(sections),
        manifest=load_manifest(root, problems),
        extra_docs=tuple(extra),
        problems=tuple(problems),
    )
