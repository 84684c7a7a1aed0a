"""The parsed skill: small frozen dataclasses that every tool shares.

`parse.load_skill()` builds these once; the validator, the example checker, the AGENTS.md compiler and the
ZIP builder only read them. Paths are POSIX strings relative to the skill root so that messages, test ids and
ZIP entries all spell a file the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from .program import DEFAULT_TIMEOUT, MAX_TIMEOUT, CodeBlock, Label, Program, ProofKind, info_words

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_TIMEOUT",
    "CodeBlock",
    "Document",
    "Heading",
    "Label",
    "Link",
    "Manifest",
    "Problem",
    "Program",
    "ProofKind",
    "Reference",
    "Section",
    "Skill",
    "info_words",
]
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, reported as `path:line: ID [profile] message`. Create it with `rules.problem()`."""

    path: str
    line: int
    id: str
    message: str
    profile: str = "house"
    """`spec` (the Agent Skills specification requires it) or `house` (this project's authoring rules)."""
    severity: str = "error"
    """`note` informs and never fails a run."""

    def __str__(self) -> str:
        tag = self.profile if self.severity == "error" else f"{self.profile} {self.severity}"
        return f"{self.path}:{self.line}: {self.id} [{tag}] {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "id": self.id,
            "profile": self.profile,
            "severity": self.severity,
            "message": self.message,
        }


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
    """A link or image target, or a reference-style definition (`[label]: target`), where it is written."""

    target: str
    """The destination as markdown-it normalises it (percent-encoded)."""
    line: int
    source: str = ""
    """Skill-relative path of the document holding the link."""
    column: int | None = None
    """0-based offset of `raw` on `line`; None when the text is not on one line (a `[text][label]` use)."""
    raw: str = ""
    """The destination as written (without `<>`)."""
    definition: bool = False

    @property
    def external(self) -> bool:
        """A URL (`https:`, `mailto:`, `//host`): not a file of the skill."""
        return bool(_SCHEME.match(self.target)) or self.target.startswith("//")

    @property
    def file(self) -> str:
        """The file part of a relative target, decoded; empty for `#anchor` links."""
        return unquote(self.target.partition("#")[0])

    @property
    def anchor(self) -> str:
        return unquote(self.target.partition("#")[2])

    @property
    def resolved(self) -> str | None:
        """Skill-relative path the link points at (its own document for `#anchor`); None when it leaves the
        skill folder. Only meaningful when the link is not external."""
        if self.file.startswith("/"):
            return None
        parts: list[str] = []
        for part in (PurePosixPath(self.source).parent / self.file).parts if self.file else (self.source,):
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)


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
    programs: tuple[Program, ...] = ()
    """The python blocks grouped into programs (a block plus its `continues` blocks)."""
    code_lines: frozenset[int] = frozenset()
    """Lines of fenced and indented code blocks, fences included."""
    code_spans: tuple[tuple[int, str], ...] = ()
    """(line, content) of every inline code span outside code blocks."""
    problems: tuple[Problem, ...] = ()
    """What was wrong but did not stop the parse (a duplicate frontmatter key)."""

    @property
    def body(self) -> str:
        # split("\n") like the parser: splitlines() also breaks at \f, \x85, \u2028... (found by fuzzing)
        return "\n".join(self.text.split("\n")[self.body_line - 1 :])

    @property
    def anchors(self) -> frozenset[str]:
        return frozenset(heading.anchor for heading in self.headings)


@dataclass(frozen=True)
class Section:
    """A category from references/sections.md."""

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
    """Other Markdown files that ship (e.g. references/sections.md), parsed for links only."""
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

    @property
    def programs(self) -> tuple[Program, ...]:
        """Every python program of SKILL.md and the references (AGENTS.md is generated from them)."""
        docs = [self.skill_md] if self.skill_md else []
        docs += [ref.doc for ref in self.references]
        return tuple(program for doc in docs for program in doc.programs)

    def section_for(self, prefix: str) -> Section | None:
        return next((s for s in self.sections if s.prefix == prefix), None)
