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
from typing import Any, Literal
from urllib.parse import unquote

from .expectation import Expectation

Label = Literal["Incorrect", "Correct"]
INFO_WORD = re.compile(r'(?:[^\s"]|"[^"]*"?)+')
"""A word of an info string; a double-quoted part may hold spaces: `expect=DBOSException:"not found"`."""


def info_words(info: str) -> list[str]:
    """The words of a fence info string, quoted spaces kept inside their word."""
    return INFO_WORD.findall(info)


ProofKind = Literal["runs", "raises", "lints"]
DEFAULT_TIMEOUT = 60.0
"""Seconds a program may run when its fence sets no valid `timeout=`."""
MAX_TIMEOUT = 600.0
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
class Program:
    """A python block plus the `continues` blocks after it in the same file: one complete program.

    `parse` builds every program once (`Document.programs`); the validator, the example checker and the coverage
    scan all read these, so they cannot disagree on where a program ends or what it must prove.
    """

    blocks: tuple[CodeBlock, ...]
    label: Label | None = field(init=False, compare=False)
    """The head block's label; `continues` blocks inherit it."""
    source: str = field(init=False, compare=False)
    line_map: tuple[int, ...] = field(init=False, compare=False)
    """Markdown line of each source line (index 0 is source line 1)."""
    settings: Mapping[str, str] = field(init=False, compare=False)
    """`key=value` options of all blocks, later blocks overriding earlier ones."""
    expect: Expectation | None = field(init=False, compare=False)
    """What `expect=` asks for; None when absent or malformed (the validator reports SKL609)."""
    lint: str | None = field(init=False, compare=False)
    timeout: float = field(init=False, compare=False)
    """`timeout=` when it is a number in (0, MAX_TIMEOUT], else DEFAULT_TIMEOUT (the validator reports it)."""
    pytest: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        merged: dict[str, str] = {}
        for block in self.blocks:
            merged.update(block.settings)
        try:
            timeout = float(merged.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        values = {
            "label": self.blocks[0].label,
            "source": "".join(block.source for block in self.blocks),
            "line_map": tuple(b.first_code_line + i for b in self.blocks for i in range(len(b.source.splitlines()))),
            "settings": merged,
            "expect": Expectation.parse(merged["expect"]) if "expect" in merged else None,
            "lint": merged.get("lint"),
            "timeout": timeout if 0 < timeout <= MAX_TIMEOUT else DEFAULT_TIMEOUT,
            "pytest": any("pytest" in block.tags for block in self.blocks),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def head(self) -> CodeBlock:
        return self.blocks[0]

    @property
    def path(self) -> str:
        return self.head.path

    @property
    def line(self) -> int:
        return self.head.line

    @property
    def kind(self) -> ProofKind:
        """How the program proves its point: it runs clean, raises `expect`, or trips the linter's `lint` rule."""
        return "lints" if self.lint else "raises" if "expect" in self.settings else "runs"

    @property
    def is_pytest(self) -> bool:
        return self.pytest

    def md_line(self, source_line: int) -> int:
        lines = self.line_map
        return lines[source_line - 1] if 0 < source_line <= len(lines) else self.line

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


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
