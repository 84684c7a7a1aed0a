"""The shell blocks of the READMEs, as a reader would copy them, with what the README test does with each.

Every ```bash / ```sh / ```shell / ```console block of README.md and examples/<app>/README.md is run, in file
order, unless an HTML comment right before it says otherwise:

    <!-- not run: REASON -->        listed with its reason, never executed (e.g. a multi-minute benchmark)
    <!-- collect only: REASON -->   executed with PYTEST_ADDOPTS=--collect-only: every pytest it starts must
                                    select at least one test, but runs none (the suite that `make test` runs
                                    anyway, or `make test` itself, which would otherwise recurse)

Placeholders are explicit: the substitutions in ``Substitutions`` are the only rewriting done, and the test
prints them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
MARKER = re.compile(r"^<!--\s*(not run|collect only):\s*(?P<reason>.+?)\s*-->\s*$", re.DOTALL)


class MarkerError(ValueError):
    """A marker comment that names no reason or precedes no shell block."""


@dataclass(frozen=True)
class ShellBlock:
    path: Path
    line: int  # 1-based line of the opening fence
    text: str
    mode: str  # "run", "not run" or "collect only"
    reason: str = ""

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root).as_posix()}:{self.line}"


def readmes(root: Path) -> list[Path]:
    """README.md, then every examples/<app>/README.md, in a stable order."""
    return [root / "README.md", *sorted(root.glob("examples/*/README.md"))]


def shell_blocks(path: Path) -> list[ShellBlock]:
    """The shell blocks of one Markdown file, each with its mode; raise MarkerError on a misplaced marker."""
    tokens = MarkdownIt("commonmark").parse(path.read_text("utf-8"))
    blocks: list[ShellBlock] = []
    pending: tuple[str, str, int] | None = None
    for token in tokens:
        if token.type == "html_block" and (match := MARKER.match(token.content.strip())):
            line = token.map[0] + 1 if token.map else 0
            if pending is not None:
                raise MarkerError(f"{path}:{pending[2]}: marker not followed by a shell block")
            pending = (match.group(1), match.group(2).strip(), line)
            continue
        if token.type == "fence" and token.info.strip().split(" ")[0] in SHELL_LANGUAGES:
            line = token.map[0] + 1 if token.map else 0
            mode, reason = (pending[0], pending[1]) if pending else ("run", "")
            blocks.append(ShellBlock(path, line, token.content, mode, reason))
            pending = None
        elif pending is not None and token.type not in ("html_block",):
            raise MarkerError(f"{path}:{pending[2]}: marker not followed by a shell block")
    if pending is not None:
        raise MarkerError(f"{path}:{pending[2]}: marker not followed by a shell block")
    return blocks


@dataclass
class Substitutions:
    """The only rewriting of README text: the documented example server URLs and port become this run's."""

    postgres_server: str  # a server URL whose database part is replaced (DBOS_TEST_POSTGRES_URL)
    port: int
    unique: str  # appended to database names, so runs never share a database
    created: list[str]

    PG_EXAMPLE = re.compile(r"postgresql://postgres:postgres@localhost:5432/(?P<db>\w+)")
    PORT_EXAMPLE = re.compile(r"\b8000\b")

    def describe(self) -> list[str]:
        return [
            "postgresql://postgres:postgres@localhost:5432/NAME -> 'URL of a fresh database NAME_<unique> on "
            "DBOS_TEST_POSTGRES_URL's server' (quoted)",
            f"port 8000 -> free port {self.port}",
        ]

    def apply(self, text: str) -> str:
        def database(match: re.Match[str]) -> str:
            name = match.group("db")
            if name != "postgres":
                name = f"{name}_{self.unique}"
                if name not in self.created:
                    self.created.append(name)
            # Quoted: a Unix-socket URL's query (?host=...&port=...) holds shell metacharacters.
            return "'" + with_database(self.postgres_server, name) + "'"

        return self.PORT_EXAMPLE.sub(str(self.port), self.PG_EXAMPLE.sub(database, text))


def with_database(server_url: str, database: str) -> str:
    """``server_url`` with its database replaced, keeping host, port and query (a Unix socket)."""
    head, sep, query = server_url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{database}{sep}{query}"
