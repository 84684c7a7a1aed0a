"""How the askill CLI (askill.sh, v0.1.14) reads a skill: our own reimplementation, written from its behaviour.

askill does not use a YAML library. It reads SKILL.md frontmatter line by line:

- the frontmatter is the text between a leading `---` line and the next line that starts with `---`;
- blank lines and lines starting with `#` are skipped; indentation is the position of the first non-space;
- a line at indent 0 holding a `:` is a top-level key; a non-empty rest of the line is its value, with one pair
  of matching outer quotes removed (no escapes are processed); every value is a string;
- a key with an empty rest collects the following `- item` lines into a list, or the following indented
  `key: value` lines into one flat map (deeper nesting is flattened into it);
- `commands:` is special: a name at indent 2 (with nothing after its colon) starts a command, and `run:` /
  `description:` at indent 4 fill it; everything else in the block is ignored.

So a folded or literal block scalar (`>-`, `|`) is read as the two-character string, a flow list (`[a, b]`) as
one string, and a multi-line plain scalar as its first line. `askill add` copies the skill folder but skips
every entry whose name starts with `_`, the directories in `INSTALL_SKIPPED_DIRS` and the files in
`INSTALL_SKIPPED_FILES`. `askill run` executes a command's `run` string with `sh`, in the installed skill
folder, with `ASKILL_SKILL_DIR`, `ASKILL_SKILL_NAME` and `ASKILL_COMMAND` added to the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

FRONTMATTER = re.compile(r"---\r?\n([\s\S]*?)\r?\n---")
"""askill's frontmatter pattern, anchored at the start of the file (used with `match`)."""
FIRST_FRONTMATTER_LINE = 2

NAME = re.compile(r"^[a-z0-9-]+$", re.ASCII)
"""`askill validate`: name is lowercase alphanumeric with hyphens."""
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", re.ASCII)
"""`askill publish`: the slug under the author's namespace."""
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[\w.]+)?(?:\+[\w.]+)?$", re.ASCII)
"""`askill validate` and `askill publish`: the version."""
MAX_DESCRIPTION = 200
"""`askill validate` warns above this; askill's skill spec says "max 200 characters"."""
MAX_TAGS = 5
MAX_TAG_LENGTH = 20
"""askill's skill spec: tags are lowercase, at most 5, each at most 20 characters."""
DEPENDENCY_PREFIXES = ("@", "gh:")
"""`askill validate` warns about a dependency that starts with neither."""

INSTALL_SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__", "dist", "build"})
INSTALL_SKIPPED_FILES = frozenset({"README.md", "metadata.json"})

_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_JS_SPACE += "\u2028\u2029\u202f\u205f\u3000\ufeff"
"""JavaScript's `\\s` and `String.prototype.trim()` set, which differs from Python's `str.isspace()`."""


class ReaderCrash(Exception):
    """askill's reader throws on this input (a command property after a second `commands:` block)."""


@dataclass
class AskillFrontmatter:
    """What askill's reader returns, and the frontmatter line where each top-level key was seen."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


def _trim(text: str) -> str:
    return text.strip(_JS_SPACE)


def _indent(line: str) -> int:
    for index, char in enumerate(line):
        if char not in _JS_SPACE:
            return index
    return -1


def _value(text: str) -> str:
    if len(text) >= 1 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _split(trimmed: str) -> tuple[str, str]:
    colon = trimmed.index(":")
    return _trim(trimmed[:colon]), _trim(trimmed[colon + 1 :])


def frontmatter_text(content: str) -> str | None:
    """The frontmatter askill sees, or None when it finds none (then every field is missing)."""
    match = FRONTMATTER.match(content)
    return match.group(1) if match else None


def read_frontmatter(content: str) -> AskillFrontmatter | None:
    """Read SKILL.md content the way askill does; None when askill finds no frontmatter.

    Raises ReaderCrash where askill's reader would throw.
    """
    text = frontmatter_text(content)
    if text is None:
        return None
    out = AskillFrontmatter()
    result = out.values
    key: str = ""
    array: list[str] | None = None
    obj: dict[str, str] | None = None
    in_commands = False
    command = ""
    commands: dict[str, dict[str, str]] = {}

    def flush() -> None:
        nonlocal array, obj
        if key and array is not None:
            result[key] = array
            array = None
        if key and obj is not None:
            result[key] = obj
            obj = None

    for number, line in enumerate(text.split("\n"), start=FIRST_FRONTMATTER_LINE):
        trimmed = _trim(line)
        if not trimmed or trimmed.startswith("#"):
            continue
        indent = _indent(line)
        if indent == 0 and ":" in trimmed:
            flush()
            if in_commands:
                result["commands"] = commands
                in_commands = False
            key, value = _split(trimmed)
            out.lines.setdefault(key, number)
            if key == "commands":
                in_commands = True
                commands = {}
                continue
            if value:
                result[key] = _value(value)
                key = ""
            continue
        if in_commands:
            if indent == 2 and ":" in trimmed and not trimmed.startswith("-"):
                name, value = _split(trimmed)
                if not value:
                    command = name
                    commands[name] = {"run": "", "description": ""}
            elif indent == 4 and command and ":" in trimmed:
                prop, value = _split(trimmed)
                if prop in ("run", "description"):
                    if command not in commands:
                        raise ReaderCrash(f"line {number}: {prop} of command {command!r} from an earlier block")
                    commands[command][prop] = _value(value)
            continue
        if trimmed.startswith("-"):
            if array is None:
                array = []
            array.append(_value(_trim(trimmed[1:])))
            continue
        if indent > 0 and key and ":" in trimmed:
            if obj is None:
                obj = {}
            prop, value = _split(trimmed)
            obj[prop] = _value(value)
    flush()
    if in_commands:
        result["commands"] = commands
    return out


def install_skips(rel: str) -> bool:
    """True when `askill add` leaves this file (a POSIX path relative to the skill folder) out of the install."""
    parts = PurePosixPath(rel).parts
    if any(part.startswith("_") for part in parts):
        return True
    if any(part in INSTALL_SKIPPED_DIRS for part in parts[:-1]):
        return True
    return bool(parts) and parts[-1] in INSTALL_SKIPPED_FILES


def install_name(name: str) -> str:
    """The folder name `askill add` installs a skill under (`.agents/skills/<name>`), from its frontmatter name."""
    cleaned = re.sub(r"[^a-z0-9._]+", "-", name.lower())
    cleaned = re.sub(r"^[.\-]+|[.\-]+$", "", cleaned)
    return cleaned[:255] or "unnamed-skill"
