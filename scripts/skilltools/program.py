"""Code in the model: a fenced block with its info string, and a program (a python block plus its `continues`
blocks) with everything the tools need to know about it, computed once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

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
