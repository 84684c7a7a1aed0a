"""The parsed skill: small frozen dataclasses that every tool shares.

`parse.load_skill()` builds these once; the validator, the example checker, the AGENTS.md compiler and the
ZIP builder only read them. Paths are POSIX strings relative to the skill root so that messages, test ids and
ZIP entries all spell a file the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Label = Literal["Incorrect", "Correct"]
INFO_WORD = re.compile(r'(?:[^\s"]|"[^"]*"?)+')
"""A word of an info string; a double-quoted part may hold spaces: `expect=DBOSException:"not found"`."""


def info_words(info: str) -> list[str]:
    """The words of a fence info string, quoted spaces kept inside their word."""
    return INFO_WORD.findall(info)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, reported as `path:line: ID message`."""

    path: str
    line: int
    id: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.id} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "id": self.id, "message": self.message}


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block, with where it came from and what its info string asks for."""

    path: str
    line: int
    """1-based line of the opening fence."""
    end_line: int
    """1-based line of the closing fence (or the last line when the fence is unclosed)."""
    info: str
    """The whole info string, e.g. `python expect=DBOSException timeout=30`."""
    source: str
    closed: bool
    label: Label | None
    """From the `**Incorrect**`/`**Correct**` paragraph right before the block (inherited by `continues`)."""

    @property
    def lang(self) -> str:
        words = info_words(self.info)
        return words[0] if words else ""

    @property
    def settings(self) -> Mapping[str, str]:
        """`key=value` words of the info string."""
        pairs = (word.split("=", 1) for word in info_words(self.info)[1:] if "=" in word)
        return {key: value for key, value in pairs}

    @property
    def tags(self) -> frozenset[str]:
        """Bare words of the info string after the language."""
        return frozenset(word for word in info_words(self.info)[1:] if "=" not in word)

    @property
    def first_code_line(self) -> int:
        return self.line + 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int
    anchor: str
    empty: bool
    """True when nothing but blank lines stands between this heading and the next one of any level."""


@dataclass(frozen=True)
class Link:
    target: str
    line: int


@dataclass(frozen=True)
class Document:
    """One Markdown file: frontmatter, headings, links and code blocks."""

    path: str
    text: str
    frontmatter: Mapping[str, Any] | None
    """None when the file has no (parsable) frontmatter."""
    key_lines: Mapping[str, int]
    """Line of each top-level frontmatter key, to point problems at the right place."""
    body_line: int
    """1-based line where the body (after the frontmatter) starts."""
    headings: tuple[Heading, ...]
    links: tuple[Link, ...]
    blocks: tuple[CodeBlock, ...]
    paragraphs: tuple[tuple[int, str], ...]
    """(line, text) of every top-level paragraph, for prose checks."""

    @property
    def body(self) -> str:
        # split("\n") like the parser: splitlines() also breaks at \f, \x85, \u2028... (found by fuzzing)
        return "\n".join(self.text.split("\n")[self.body_line - 1 :])

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset(heading.anchor for heading in self.headings)


@dataclass(frozen=True)
class Section:
    """A category from references/_sections.md."""

    number: int
    title: str
    prefix: str
    impact: str
    description: str
    line: int


@dataclass(frozen=True)
class Reference:
    """A rule file in references/."""

    doc: Document

    @property
    def path(self) -> str:
        return self.doc.path

    @property
    def stem(self) -> str:
        return Path(self.doc.path).stem

    @property
    def prefix(self) -> str:
        return self.stem.split("-", 1)[0]

    @property
    def title(self) -> str:
        value = (self.doc.frontmatter or {}).get("title")
        return value if isinstance(value, str) else self.stem


@dataclass(frozen=True)
class Manifest:
    """askill.yaml."""

    path: str
    data: Mapping[str, Any] | None
    key_lines: Mapping[str, int]


@dataclass(frozen=True)
class Skill:
    root: Path
    skill_md: Document | None
    references: tuple[Reference, ...]
    sections: tuple[Section, ...]
    manifest: Manifest | None
    extra_docs: tuple[Document, ...] = ()
    """Other Markdown files that ship (e.g. references/_sections.md), parsed for links only."""
    problems: tuple[Problem, ...] = field(default=())
    """What went wrong while reading: missing, binary, oversized or unparsable files."""

    @property
    def documents(self) -> tuple[Document, ...]:
        docs = [self.skill_md] if self.skill_md else []
        return (*docs, *(ref.doc for ref in self.references), *self.extra_docs)

    @property
    def blocks(self) -> tuple[CodeBlock, ...]:
        """Every code block of SKILL.md and the references, in file order."""
        docs = [self.skill_md] if self.skill_md else []
        docs += [ref.doc for ref in self.references]
        return tuple(block for doc in docs for block in doc.blocks)

    def section_for(self, prefix: str) -> Section | None:
        return next((s for s in self.sections if s.prefix == prefix), None)
