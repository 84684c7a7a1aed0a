"""The text edits of a release: version bumps that keep formatting, and the changelog's Unreleased section
dated (Keep a Changelog). Pure functions; they raise ReleaseError when the text is not as expected."""

from __future__ import annotations

import re

from .errors import SkillToolsError
from .parse import MANIFEST_FILE, SKILL_FILE

CHANGELOG_FILE = "CHANGELOG.md"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
"""The same shape the schemas require of `version` (semantic versioning 2.0)."""
_UNRELEASED = re.compile(r"^## \[Unreleased\][ \t]*\r?$", re.MULTILINE)
_NEXT_SECTION = re.compile(r"^## \[", re.MULTILINE)
_UNRELEASED_LINK = re.compile(r"^\[Unreleased\]:.*$", re.MULTILINE)


class ReleaseError(SkillToolsError):
    """The release cannot go ahead; the message says why and what to do."""


def semver_key(version: str) -> tuple[int, int, int, tuple[tuple[int, int, str], ...]]:
    """Sort key with semantic-versioning precedence: 1.0.0-rc.1 < 1.0.0 < 1.0.1 (build metadata ignored)."""
    match = SEMVER.match(version)
    if match is None:
        raise ReleaseError(f"{version!r} is not a semantic version like 1.2.3 or 1.2.3-rc.1")
    major, minor, patch, pre = match.groups()
    if pre is None:
        return int(major), int(minor), int(patch), ((2, 0, ""),)  # a release outranks its pre-releases
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return int(major), int(minor), int(patch), parts


def bump_manifest(text: str, old: str, new: str) -> str:
    """askill.yaml with its top-level `version:` value replaced, quotes and comments kept."""
    pattern = re.compile(rf"^(version:[ \t]*)([\"']?){re.escape(old)}\2([ \t]*(#[^\r\n]*)?\r?)$", re.MULTILINE)
    result, count = pattern.subn(lambda m: f"{m.group(1)}{m.group(2)}{new}{m.group(2)}{m.group(3)}", text)
    if count != 1:
        raise ReleaseError(f"{MANIFEST_FILE}: found {count} `version: {old}` lines, expected 1; edit it by hand")
    return result


def bump_skill_md(text: str, old: str, new: str) -> str:
    """SKILL.md with frontmatter `metadata.version` replaced, everything else byte for byte."""
    lines = text.split("\n")
    bare = [line.rstrip("\r") for line in lines]
    end = bare.index("---", 1) if bare[:1] == ["---"] and "---" in bare[1:] else 0
    key = ""
    found: list[int] = []
    value = re.compile(rf"^([ \t]+version:[ \t]*)([\"']?){re.escape(old)}\2([ \t]*(#[^\r]*)?\r?)$")
    for index in range(1, end):
        line = lines[index]
        if line and not line[0].isspace():
            key = line.split(":", 1)[0].strip()
        elif key == "metadata" and value.match(line):
            found.append(index)
    if len(found) != 1:
        raise ReleaseError(f"{SKILL_FILE}: found {len(found)} `metadata.version: {old}` lines, expected 1")
    index = found[0]
    lines[index] = value.sub(lambda m: f"{m.group(1)}{m.group(2)}{new}{m.group(2)}{m.group(3)}", lines[index])
    return "\n".join(lines)


def unreleased_notes(text: str) -> str:
    """The body of the `## [Unreleased]` section (Keep a Changelog), stripped."""
    matches = list(_UNRELEASED.finditer(text))
    if len(matches) != 1:
        raise ReleaseError(f"{CHANGELOG_FILE}: expected one '## [Unreleased]' heading, found {len(matches)}")
    start = matches[0].end()
    following = _NEXT_SECTION.search(text, start)
    stop = following.start() if following else len(text)
    link = _UNRELEASED_LINK.search(text, start, stop)
    return text[start : link.start() if link else stop].strip()


def date_changelog(text: str, version: str, date: str, repository: str | None, previous_tag: str | None) -> str:
    """Turn `## [Unreleased]` into `## [VERSION] - DATE` under a fresh, empty Unreleased section."""
    if not unreleased_notes(text):
        raise ReleaseError(f"{CHANGELOG_FILE}: the Unreleased section is empty; describe the changes first")
    if re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE):
        raise ReleaseError(f"{CHANGELOG_FILE}: already has a section for {version}")
    text = _UNRELEASED.sub(f"## [Unreleased]\n\n## [{version}] - {date}", text, count=1)
    if repository:
        base = repository.rstrip("/")
        since = f"{base}/compare/{previous_tag}...v{version}" if previous_tag else f"{base}/releases/tag/v{version}"
        links = f"[Unreleased]: {base}/compare/v{version}...HEAD\n[{version}]: {since}"
        if _UNRELEASED_LINK.search(text):
            text = _UNRELEASED_LINK.sub(lambda _: links, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + links + "\n"
    return text
