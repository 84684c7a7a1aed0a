"""The only reader of the skill's files: Markdown through markdown-it-py, YAML through a strict safe loader.

Reading collects problems instead of raising, so one bad file never hides the others: a file that cannot be
read becomes a `Problem` and is left out of the model.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .model import CodeBlock, Document, Heading, Label, Link, Manifest, Problem, Reference, Section, Skill, info_words

MAX_FILE_BYTES = 1024 * 1024
SKILL_FILE = "SKILL.md"
MANIFEST_FILE = "askill.yaml"
REFERENCES_DIR = "references"
SECTIONS_FILE = "references/_sections.md"

_MD = MarkdownIt("commonmark").enable("table")


class ParseError(Exception):
    """A file could not be read or parsed; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


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


# --- YAML ------------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys and anchors/aliases (frontmatter never needs them, and
    aliases are how a small document expands into a huge one)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(None, None, "YAML aliases are not allowed here", event.start_mark)
        return super().compose_node(parent, index)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML lets some bad scalars escape as plain Python errors (found by tests/test_fuzz.py):
        # `2001-13-45`, `!!float abc`, `!!float ''`, `!!timestamp x`, an int over 4300 digits. Report them here.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError, LookupError):
            value = str(node.value)
            shown = value if len(value) <= 40 else value[:40] + "..."
            kind = str(node.tag).rsplit(":", 1)[-1]
            raise yaml.MarkedYAMLError(None, None, f"{shown!r} is not a valid {kind}", node.start_mark) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # e.g. `!!map 0`; PyYAML reports it (found by fuzzing)
            return super().construct_mapping(node, deep=deep)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.MarkedYAMLError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark
                ) from None
            if key in seen:
                raise yaml.MarkedYAMLError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse YAML strictly. Returns the data and the line of each top-level key; raises ParseError."""
    try:
        loader = _StrictLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character YAML refuses (found by fuzzing)
        line = first_line + text.count("\n", 0, exc.position)
        message = f"YAML: character {chr(exc.character)!r} is not allowed"
        raise ParseError(Problem(path, line, "SKL102", message)) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or "invalid YAML"
        kind = "SKL103" if "duplicate key" in problem else "SKL105" if "alias" in problem else "SKL102"
        raise ParseError(Problem(path, line, kind, f"YAML: {problem}")) from None
    except yaml.YAMLError as exc:
        raise ParseError(Problem(path, first_line, "SKL102", f"YAML: {exc}")) from None
    except RecursionError:
        raise ParseError(Problem(path, first_line, "SKL102", "YAML is nested too deeply")) from None
    finally:
        loader.dispose()
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = first_line + key_node.start_mark.line
    return data, key_lines


def split_frontmatter(text: str, path: str) -> tuple[str | None, int]:
    """Return (frontmatter YAML, 1-based line where the body starts). No frontmatter gives (None, 1)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), index + 2
    raise ParseError(Problem(path, 1, "SKL101", "frontmatter opened with '---' is never closed; add a '---' line"))


# --- Markdown --------------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _fence_closed(lines: list[str], token: Token) -> bool:
    assert token.map is not None
    start, end = token.map
    if end - 1 <= start or end - 1 >= len(lines):
        return False
    closing = lines[end - 1].strip()
    marker = token.markup
    return bool(closing) and set(closing) == {marker[0]} and len(closing) >= len(marker)


def _label(paragraph: str | None) -> Label | None:
    if paragraph is None:
        return None
    if paragraph.startswith("**Incorrect"):
        return "Incorrect"
    if paragraph.startswith("**Correct"):
        return "Correct"
    return None


def _inline_line(lines: list[str], token: Token, needle: str) -> int:
    """Best line for something found inside an inline token spanning several lines."""
    assert token.map is not None
    start, end = token.map
    for index in range(start, min(end, len(lines))):
        if needle in lines[index]:
            return index + 1
    return start + 1


def parse_markdown(path: str, text: str) -> Document:
    """Parse one Markdown file. Raises ParseError only for broken frontmatter."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # markdown-it ends a line at a bare CR too (fuzzing)
    frontmatter_text, body_line = split_frontmatter(text, path)
    frontmatter: dict[str, Any] | None = None
    key_lines: dict[str, int] = {}
    if frontmatter_text is not None:
        data, key_lines = load_yaml(frontmatter_text, path, first_line=2)
        if not isinstance(data, dict):
            raise ParseError(Problem(path, 2, "SKL101", "frontmatter must be a YAML mapping of keys to values"))
        frontmatter = data

    lines = text.split("\n")
    body = "\n".join(lines[body_line - 1 :])
    offset = body_line - 1
    tokens = _MD.parse(body)

    headings: list[tuple[int, str, int]] = []
    links: list[Link] = []
    blocks: list[CodeBlock] = []
    paragraphs: list[tuple[int, str]] = []
    body_lines = body.split("\n")

    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            inline = tokens[index + 1]
            headings.append((int(token.tag[1:]), inline.content, token.map[0] + 1 + offset))
        elif token.type == "inline" and token.map:
            for child in token.children or []:
                target = (
                    child.attrGet("href")
                    if child.type == "link_open"
                    else child.attrGet("src")
                    if child.type == "image"
                    else None
                )
                if isinstance(target, str):
                    links.append(Link(target, _inline_line(body_lines, token, target) + offset))
            if index > 0 and tokens[index - 1].type == "paragraph_open":
                paragraphs.append((token.map[0] + 1 + offset, token.content))
        elif token.type == "fence" and token.map:
            after_paragraph = index > 1 and tokens[index - 1].type == "paragraph_close"
            label = _label(tokens[index - 2].content) if after_paragraph else None
            info = token.info.strip()
            if "continues" in info_words(info)[1:] and blocks and label is None:
                label = blocks[-1].label
            closed = _fence_closed(body_lines, token)
            end = token.map[1] + offset if closed else min(token.map[1], len(body_lines)) + offset
            blocks.append(CodeBlock(path, token.map[0] + 1 + offset, end, info, token.content, closed, label))

    return Document(
        path=path,
        text=text,
        frontmatter=frontmatter,
        key_lines=key_lines,
        body_line=body_line,
        headings=_headings_with_anchors(headings, lines),
        links=tuple(links),
        blocks=tuple(blocks),
        paragraphs=tuple(paragraphs),
    )


def _headings_with_anchors(found: list[tuple[int, str, int]], lines: list[str]) -> tuple[Heading, ...]:
    result: list[Heading] = []
    counts: dict[str, int] = {}
    for position, (level, text, line) in enumerate(found):
        slug = slugify(text)
        anchor = slug if slug not in counts else f"{slug}-{counts[slug]}"
        counts[slug] = counts.get(slug, 0) + 1
        # A section runs to the next heading of the same or a higher level.
        stop = next((other[2] for other in found[position + 1 :] if other[0] <= level), len(lines) + 1)
        empty = not any(lines[i].strip() for i in range(line, min(stop - 1, len(lines))))
        result.append(Heading(level, text, line, anchor, empty))
    return tuple(result)


_SECTION_HEADING = re.compile(r"^(\d+)\.\s+(.+?)\s+\(([a-z][a-z0-9]*)\)$")
_FIELD = re.compile(r"^\*\*(Impact|Description):\*\*\s*(.+)$")


def parse_sections(doc: Document) -> tuple[list[Section], list[Problem]]:
    """Read the categories from references/_sections.md (`## N. Title (prefix)` + Impact/Description)."""
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
            if path.name.startswith("_"):
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
