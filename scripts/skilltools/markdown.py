"""Markdown → `Document`, through markdown-it-py's tokens: headings, paragraphs, code blocks grouped into
programs, the lines inside code, inline code spans, and every link with where its target is written.

Positions come from the tokens (their line maps) and markdown-it's own link-destination parser, never from a
regex over the raw text, so a `](x)` inside a code span is not a link and a reference-style definition
(`[label]: target`) is one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination
from markdown_it.token import Token

from .model import CodeBlock, Document, Heading, Label, Link, Problem, Program, info_words
from .rules import problem
from .strict_yaml import ParseError, load_yaml, split_frontmatter

_MD = MarkdownIt("commonmark").enable("table")
_CODE_SPAN = re.compile(r"(`+)[\s\S]*?(?<!`)\1(?!`)")


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
    """Best 1-based body line for something found inside an inline token spanning several lines."""
    assert token.map is not None
    start, end = token.map
    for index in range(start, min(end, len(lines))):
        if needle in lines[index]:
            return index + 1
    return start + 1


# --- link positions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Destination:
    line: int
    """0-based body line."""
    column: int
    raw: str
    normalized: str


def _destination(segment: str, start: int, pos: int) -> _Destination | None:
    """The link destination starting at or after `pos` (spaces and one line end may come first)."""
    while pos < len(segment) and segment[pos] in " \t":
        pos += 1
    if pos < len(segment) and segment[pos] == "\n":
        pos += 1
        while pos < len(segment) and segment[pos] in " \t":
            pos += 1
    result = parseLinkDestination(segment, pos, len(segment))
    if not result.ok:
        return None
    raw = segment[pos : result.pos]
    if raw.startswith("<") and raw.endswith(">"):
        raw, pos = raw[1:-1], pos + 1
    line_start = segment.rfind("\n", 0, pos) + 1
    return _Destination(start + segment.count("\n", 0, pos), pos - line_start, raw, _MD.normalizeLink(result.str))


def _inline_destinations(lines: list[str], start: int, end: int) -> list[_Destination]:
    """Every `](destination` in body lines [start, end), code spans masked out."""
    segment = _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), "\n".join(lines[start:end]))
    found = (_destination(segment, start, m.end()) for m in re.finditer(r"\]\(", segment))
    return [d for d in found if d is not None]


def _span_lines(contents: list[str], lines: list[str], token: Token) -> list[int]:
    """0-based body line where each code span (in order) opens."""
    assert token.map is not None
    start, end = token.map
    segment = "\n".join(lines[start:end])
    candidates = [(m.start(), " ".join(m.group(0).strip("`").split())) for m in _CODE_SPAN.finditer(segment)]
    found: list[int] = []
    next_index = 0
    for content in contents:
        wanted = " ".join(content.split())
        match = next((i for i in range(next_index, len(candidates)) if candidates[i][1] == wanted), None)
        if match is None:
            found.append(_inline_line(lines, token, content) - 1)
            continue
        next_index = match + 1
        found.append(start + segment.count("\n", 0, candidates[match][0]))
    return found


def _locate(
    links: list[tuple[str, int, Token]], lines: list[str], token: Token, source: str, offset: int
) -> list[Link]:
    assert token.map is not None
    candidates = _inline_destinations(lines, *token.map)
    located: list[Link] = []
    next_index = 0
    for target, line, _ in links:
        match = next((i for i in range(next_index, len(candidates)) if candidates[i].normalized == target), None)
        if match is None:
            located.append(Link(target, line + offset, source))
            continue
        found = candidates[match]
        next_index = match + 1
        located.append(Link(target, found.line + 1 + offset, source, found.column, found.raw))
    return located


def _definitions(env: dict[str, Any], lines: list[str], source: str, offset: int) -> list[Link]:
    """Reference-style definitions (`[label]: target`), used or not."""
    links: list[Link] = []
    for entry in env.get("references", {}).values():
        start, end = entry["map"]
        segment = "\n".join(lines[start:end])
        colon = segment.find("]:")
        found = _destination(segment, start, colon + 2) if colon >= 0 else None
        if found is not None and found.normalized == entry["href"]:
            links.append(Link(entry["href"], found.line + 1 + offset, source, found.column, found.raw, True))
        else:
            links.append(Link(entry["href"], start + 1 + offset, source, definition=True))
    return sorted(links, key=lambda link: link.line)


# --- programs --------------------------------------------------------------------------------------------


def group_programs(blocks: tuple[CodeBlock, ...]) -> tuple[Program, ...]:
    """Python blocks into programs: a `continues` block joins the program before it in the same file, across
    any non-python blocks in between."""
    programs: list[Program] = []
    current: list[CodeBlock] = []
    for block in blocks:
        if block.lang != "python":
            continue
        if "continues" in block.tags and current:
            current.append(block)
            continue
        if current:
            programs.append(Program(tuple(current)))
        current = [block]
    if current:
        programs.append(Program(tuple(current)))
    return tuple(programs)


# --- the document ----------------------------------------------------------------------------------------


def parse_markdown(path: str, text: str) -> Document:
    """Parse one Markdown file. Raises ParseError only for broken frontmatter."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # markdown-it ends a line at a bare CR too (fuzzing)
    frontmatter_text, body_line = split_frontmatter(text, path)
    frontmatter: dict[str, Any] | None = None
    key_lines: dict[str, int] = {}
    problems: list[Problem] = []
    if frontmatter_text is not None:
        data, key_lines = load_yaml(frontmatter_text, path, first_line=2, problems=problems)
        if not isinstance(data, dict):
            raise ParseError(problem("SKL101", path, 2, detail="frontmatter must be a YAML mapping of keys to values"))
        frontmatter = data

    lines = text.split("\n")
    body_lines = lines[body_line - 1 :]
    offset = body_line - 1
    env: dict[str, Any] = {}
    tokens = _MD.parse("\n".join(body_lines), env)

    headings: list[tuple[int, str, int]] = []
    links: list[Link] = []
    blocks: list[CodeBlock] = []
    paragraphs: list[tuple[int, str]] = []
    code_lines: set[int] = set()
    spans: list[tuple[int, str]] = []
    chain_label: Label | None = None

    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            inline = tokens[index + 1]
            headings.append((int(token.tag[1:]), inline.content, token.map[0] + 1 + offset))
        elif token.type == "inline" and token.map:
            found: list[tuple[str, int, Token]] = []
            contents: list[str] = []
            for child in token.children or []:
                target = child.attrGet("href") if child.type == "link_open" else child.attrGet("src")
                if child.type in ("link_open", "image") and isinstance(target, str):
                    found.append((target, _inline_line(body_lines, token, target), child))
                elif child.type == "code_inline":
                    contents.append(child.content)
            links += _locate(found, body_lines, token, path, offset)
            lines_of = _span_lines(contents, body_lines, token)
            spans += [(line + 1 + offset, content) for line, content in zip(lines_of, contents, strict=True)]
            if index > 0 and tokens[index - 1].type == "paragraph_open":
                paragraphs.append((token.map[0] + 1 + offset, token.content))
        elif token.type == "code_block" and token.map:
            code_lines.update(range(token.map[0] + 1 + offset, token.map[1] + 1 + offset))
        elif token.type == "fence" and token.map:
            after_paragraph = index > 1 and tokens[index - 1].type == "paragraph_close"
            label = _label(tokens[index - 2].content) if after_paragraph else None
            info = token.info.strip()
            words = info_words(info)
            is_python = words[:1] == ["python"]
            if is_python and "continues" in words[1:] and label is None:
                label = chain_label
            elif is_python and "continues" not in words[1:]:
                chain_label = label
            closed = _fence_closed(body_lines, token)
            end = token.map[1] + offset if closed else min(token.map[1], len(body_lines)) + offset
            blocks.append(CodeBlock(path, token.map[0] + 1 + offset, end, info, token.content, closed, label))
            code_lines.update(range(token.map[0] + 1 + offset, end + 1))

    links += _definitions(env, body_lines, path, offset)
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
        programs=group_programs(tuple(blocks)),
        code_lines=frozenset(code_lines),
        code_spans=tuple(spans),
        problems=tuple(problems),
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
