"""Cut a release: bump the version, date the changelog, rebuild, prove the ZIP is reproducible, commit and tag.

The version lives in askill.yaml `version` and SKILL.md `metadata.version` (the validator's SKL203 keeps them
equal); both are rewritten as text, so comments and formatting survive. Nothing is written until the new
files have been validated and built twice, byte-identically, in a staging copy. `dry_run` runs every check,
stages and builds in a temporary folder, and prints each step it would take without touching the work tree,
dist/ or git.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import build, validate
from .errors import SkillToolsError
from .manifest import shipped_files
from .parse import MANIFEST_FILE, REFERENCES_DIR, SKILL_FILE, ParseError, load_skill, load_yaml, parse_markdown

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


# --- text edits ------------------------------------------------------------------------------------------


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


# --- git -------------------------------------------------------------------------------------------------


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def _git_checked(root: Path, *args: str) -> str:
    done = git(root, *args)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def _tag_exists(root: Path, tag: str) -> bool:
    return git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}").returncode == 0


def _latest_tag(root: Path) -> str | None:
    tags = [t for t in git(root, "tag", "--list", "v*").stdout.split() if SEMVER.match(t[1:])]
    return max(tags, key=lambda t: semver_key(t[1:])) if tags else None


# --- the release -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    version: str
    archive: str
    digest: str
    ok: bool


def _stage(root: Path, stage: Path, new_texts: dict[str, str]) -> None:
    """Copy what validation and the build read (shipped files, SKILL.md, askill.yaml, references/) and apply."""
    manifest, _ = load_yaml(new_texts[MANIFEST_FILE], MANIFEST_FILE)
    files, _ = shipped_files(root, manifest.get("files") if isinstance(manifest, dict) else None, 1)
    extra = [p.relative_to(root).as_posix() for p in sorted((root / REFERENCES_DIR).glob("*")) if p.is_file()]
    for rel in dict.fromkeys([*files, *extra, SKILL_FILE, MANIFEST_FILE, build.AGENTS_FILE, "pyproject.toml"]):
        if (root / rel).is_file():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, stage / rel)
    for rel, text in new_texts.items():
        (stage / rel).write_text(text, "utf-8")


def release(
    root: Path,
    version: str,
    *,
    dry_run: bool = False,
    date: str | None = None,
    out: Path | None = None,
    say: Callable[[str], None] = print,
) -> Result:
    """Release `version` from the skill checkout at `root`. Raises ReleaseError before writing anything."""
    root = root.resolve()
    date = date or datetime.date.today().isoformat()
    out = out if out is None or out.is_absolute() else root / out
    dist = out or root / "dist"
    would = "[dry-run] would " if dry_run else ""
    blockers: list[str] = []

    def block(message: str) -> None:
        if not dry_run:
            raise ReleaseError(message)
        blockers.append(message)
        say(f"[dry-run] REFUSE: {message}")

    # 1. versions
    names = (MANIFEST_FILE, SKILL_FILE, CHANGELOG_FILE)
    texts = {rel: (root / rel).read_bytes().decode("utf-8") for rel in names if (root / rel).is_file()}
    missing = [rel for rel in names if rel not in texts]
    if missing:
        raise ReleaseError(f"missing {', '.join(missing)} in {root}")
    try:
        manifest, _ = load_yaml(texts[MANIFEST_FILE], MANIFEST_FILE)
        front = parse_markdown(SKILL_FILE, texts[SKILL_FILE]).frontmatter or {}
    except ParseError as error:
        raise ReleaseError(f"{error.problem}; run `skilltools validate`") from None
    current = manifest.get("version") if isinstance(manifest, dict) else None
    metadata = front.get("metadata")
    skill_version = metadata.get("version") if isinstance(metadata, dict) else None
    if not isinstance(current, str) or current != skill_version:
        raise ReleaseError(f"askill.yaml version {current!r} and SKILL.md metadata.version {skill_version!r} differ")
    tag = f"v{version}"
    if git(root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise ReleaseError(f"{root} is not inside a git work tree")
    if _tag_exists(root, tag):
        block(f"tag {tag} already exists")
    elif semver_key(version) < semver_key(current):  # equal is fine: the first release of a version set by hand
        block(f"version {version} is older than the current {current}")
    else:
        say(f"version: {current} -> {version}" if version != current else f"version: {version} (not tagged yet)")

    # 2. git
    dirty = git(root, "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        block(f"the work tree has {len(dirty)} uncommitted change(s) ({shown}); commit or stash them first")
    else:
        say("git: work tree is clean")
    previous_tag = _latest_tag(root)

    # 3. the new texts
    try:
        changelog = date_changelog(texts[CHANGELOG_FILE], version, date, manifest.get("repository"), previous_tag)
    except ReleaseError as error:  # in a dry-run, report it and go on to show the rest
        block(str(error))
        changelog = texts[CHANGELOG_FILE]
    new = {
        MANIFEST_FILE: bump_manifest(texts[MANIFEST_FILE], current, version),
        SKILL_FILE: bump_skill_md(texts[SKILL_FILE], current, version),
        CHANGELOG_FILE: changelog,
    }
    if version != current:
        say(f"{would}set {MANIFEST_FILE} version and {SKILL_FILE} metadata.version to {version}")
    say(f"{would}date {CHANGELOG_FILE}: '## [Unreleased]' -> '## [{version}] - {date}' (new empty Unreleased above)")

    # 4. stage, validate, build twice
    with tempfile.TemporaryDirectory(prefix="skill-release-") as tmp:
        stage = Path(tmp) / str(manifest.get("name") or "skill")
        _stage(root, stage, {k: v for k, v in new.items() if k != CHANGELOG_FILE})
        skill = load_skill(stage)
        new[build.AGENTS_FILE] = build.compile_agents(skill)
        (stage / build.AGENTS_FILE).write_text(new[build.AGENTS_FILE], "utf-8")
        staged = load_skill(stage)
        problems = validate.validate(staged)
        for problem in problems:
            say(f"  {problem}")
        if problems:
            raise ReleaseError(f"the bumped skill has {len(problems)} problem(s); fix them first")
        say(f"{would}regenerate {build.AGENTS_FILE}; staged skill validates")
        name, first, digest = build.archive(staged)
        _, second, digest_again = build.archive(staged)  # zip_bytes reads the files again: two real builds
        if first != second:
            raise ReleaseError(f"two builds differ ({digest} vs {digest_again}); the ZIP is not reproducible")
        say(f"build twice: {name} sha256 {digest} (identical)")

    if blockers:
        say(f"[dry-run] {len(blockers)} problem(s) would stop this release")
        return Result(version, name, digest, ok=False)

    # 5. write, build, check the digest again
    archive = dist / name
    agents = root / build.AGENTS_FILE
    old_agents = agents.read_bytes().decode("utf-8") if agents.is_file() else None
    changed = sorted(rel for rel, text in new.items() if text != texts.get(rel, old_agents))
    if dry_run:
        say(f"{would}write {', '.join(changed)}")
        say(f"{would}build {archive} and {archive.name}.sha256")
    else:
        for rel in changed:
            build.write_atomic(root / rel, new[rel].encode())
        say(f"wrote {', '.join(changed)}")
        built, built_digest = build.build_zip(load_skill(root), dist)
        if built_digest != digest:
            raise ReleaseError(f"{built} has sha256 {built_digest}, the staged builds {digest}; not reproducible")
        say(f"built {built} (sha256 matches)")

    # 6. commit and tag
    message = f"Release {version}"
    notes = unreleased_notes(texts[CHANGELOG_FILE])
    tag_message = f"{manifest.get('name')} {version}\n\nsha256 {digest}  {name}\n\n{notes}\n"
    if dry_run:
        say(f"{would}git commit -m {message!r} -- {' '.join(changed)}")
        say(f"{would}git tag -a {tag} (message: name, version, sha256 and the changelog notes)")
    else:
        _git_checked(root, "add", "--", *changed)
        _git_checked(root, "commit", "-q", "-m", message)
        _git_checked(root, "tag", "-a", tag, "-m", tag_message)
        say(f"committed {message!r} and tagged {tag}")
    say(f"{'then' if dry_run else 'next'}: git push origin HEAD {tag}  (CI builds the ZIP again and uploads it)")
    return Result(version, name, digest, ok=True)
