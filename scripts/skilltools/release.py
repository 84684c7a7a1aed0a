"""Cut a release: bump the version, date the changelog, rebuild, prove the ZIP is reproducible, commit and tag.

The version lives in askill.yaml `version` and SKILL.md `metadata.version` (the validator's SKL203 keeps them
equal); both are rewritten as text, so comments and formatting survive. A release is a list of steps (`STEPS`);
each returns its blocker (why the release must not go ahead) or None. `release()` alone decides what a blocker
and an action mean under `--dry-run`: a blocker stops a real release before anything is written and is listed
by a dry-run, which goes on to show the rest; an action runs, or is only described by a dry-run. The staged
skill is built twice, byte-identically, by the same pipeline as `skilltools build` before anything is written.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import build
from .manifest import shipped_files
from .parse import MANIFEST_FILE, REFERENCES_DIR, SKILL_FILE, ParseError, load_yaml, parse_markdown
from .release_edits import (
    CHANGELOG_FILE,
    SEMVER,
    ReleaseError,
    bump_manifest,
    bump_skill_md,
    date_changelog,
    semver_key,
    unreleased_notes,
)

__all__ = [
    "CHANGELOG_FILE",
    "SEMVER",
    "ReleaseError",
    "Result",
    "bump_manifest",
    "bump_skill_md",
    "date_changelog",
    "release",
    "semver_key",
    "unreleased_notes",
]


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def _git_checked(root: Path, *args: str) -> None:
    done = git(root, *args)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}")


def _latest_tag(root: Path) -> str | None:
    tags = [t for t in git(root, "tag", "--list", "v*").stdout.split() if SEMVER.match(t[1:])]
    return max(tags, key=lambda t: semver_key(t[1:])) if tags else None


@dataclass(frozen=True)
class Result:
    version: str
    archive: str
    digest: str
    ok: bool


@dataclass
class Release:
    """What the steps share: the inputs, then what each step found or made for the next ones."""

    root: Path
    version: str
    date: str
    dist: Path
    act: Callable[[str, Callable[[], object]], None]
    """Run an action that writes (or, in a dry-run, only say it would): the one place dry-run is decided."""
    say: Callable[[str], None]
    texts: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    current: str = ""
    new: dict[str, str] = field(default_factory=dict)
    archive: str = ""
    digest: str = ""
    changed: list[str] = field(default_factory=list)


Step = Callable[[Release], str | None]


def read_versions(r: Release) -> str | None:
    names = (MANIFEST_FILE, SKILL_FILE, CHANGELOG_FILE)
    r.texts = {rel: (r.root / rel).read_bytes().decode("utf-8") for rel in names if (r.root / rel).is_file()}
    missing = [rel for rel in names if rel not in r.texts]
    if missing:
        raise ReleaseError(f"missing {', '.join(missing)} in {r.root}")
    try:
        manifest, _ = load_yaml(r.texts[MANIFEST_FILE], MANIFEST_FILE)
        front = parse_markdown(SKILL_FILE, r.texts[SKILL_FILE]).frontmatter or {}
    except ParseError as error:
        raise ReleaseError(f"{error.problem}; run `skilltools validate`") from None
    r.manifest = manifest if isinstance(manifest, dict) else {}
    current = r.manifest.get("version")
    metadata = front.get("metadata")
    skill_version = metadata.get("version") if isinstance(metadata, dict) else None
    if not isinstance(current, str) or current != skill_version:
        raise ReleaseError(f"askill.yaml version {current!r} and SKILL.md metadata.version {skill_version!r} differ")
    r.current = current
    if git(r.root, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise ReleaseError(f"{r.root} is not inside a git work tree")
    if git(r.root, "rev-parse", "-q", "--verify", f"refs/tags/v{r.version}").returncode == 0:
        return f"tag v{r.version} already exists"
    if semver_key(r.version) < semver_key(current):  # equal is fine: the first release of a version set by hand
        return f"version {r.version} is older than the current {current}"
    r.say(f"version: {current} -> {r.version}" if r.version != current else f"version: {r.version} (not tagged yet)")
    return None


def clean_work_tree(r: Release) -> str | None:
    dirty = git(r.root, "status", "--porcelain", "--untracked-files=all").stdout.splitlines()
    if dirty:
        shown = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        return f"the work tree has {len(dirty)} uncommitted change(s) ({shown}); commit or stash them first"
    r.say("git: work tree is clean")
    return None


def new_texts(r: Release) -> str | None:
    r.new = {
        MANIFEST_FILE: bump_manifest(r.texts[MANIFEST_FILE], r.current, r.version),
        SKILL_FILE: bump_skill_md(r.texts[SKILL_FILE], r.current, r.version),
        CHANGELOG_FILE: r.texts[CHANGELOG_FILE],
    }
    if r.version != r.current:
        r.act(f"set {MANIFEST_FILE} version and {SKILL_FILE} metadata.version to {r.version}", lambda: None)
    r.act(f"date {CHANGELOG_FILE}: '## [Unreleased]' -> '## [{r.version}] - {r.date}' (new empty Unreleased above)",
          lambda: None)  # fmt: skip
    try:
        repository = r.manifest.get("repository")
        r.new[CHANGELOG_FILE] = date_changelog(
            r.texts[CHANGELOG_FILE], r.version, r.date, repository, _latest_tag(r.root)
        )
    except ReleaseError as error:
        return str(error)
    return None


def _stage(root: Path, stage: Path, texts: dict[str, str]) -> None:
    """Copy what validation and the build read (shipped files, SKILL.md, askill.yaml, references/) and apply."""
    manifest, _ = load_yaml(texts[MANIFEST_FILE], MANIFEST_FILE)
    files, _ = shipped_files(root, manifest.get("files") if isinstance(manifest, dict) else None, 1)
    extra = [p.relative_to(root).as_posix() for p in sorted((root / REFERENCES_DIR).glob("*")) if p.is_file()]
    for rel in dict.fromkeys([*files, *extra, SKILL_FILE, MANIFEST_FILE, build.AGENTS_FILE, "pyproject.toml"]):
        if (root / rel).is_file():
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, stage / rel)
    for rel, text in texts.items():
        (stage / rel).write_text(text, "utf-8")


def build_twice(r: Release) -> str | None:
    """Stage the bumped skill in a temp folder and build it twice with the CLI's pipeline: same bytes."""
    with tempfile.TemporaryDirectory(prefix="skill-release-") as tmp:
        stage = Path(tmp) / str(r.manifest.get("name") or "skill")
        _stage(r.root, stage, {k: v for k, v in r.new.items() if k != CHANGELOG_FILE})
        first = build.build(stage, Path(tmp) / "first")
        for problem in first.problems:
            r.say(f"  {problem}")
        if not first.ok:
            raise ReleaseError(f"the bumped skill has {len(first.problems)} problem(s); fix them first")
        r.new[build.AGENTS_FILE] = (stage / build.AGENTS_FILE).read_text("utf-8")
        r.act(f"regenerate {build.AGENTS_FILE}; staged skill validates", lambda: None)
        second = build.build(stage, Path(tmp) / "second")
        a, b = (result.outputs[0].read_bytes() for result in (first, second))
        if a != b:
            raise ReleaseError(f"two builds differ ({first.digest} vs {second.digest}); the ZIP is not reproducible")
        r.archive, r.digest = first.outputs[0].name, str(first.digest)
        r.say(f"build twice: {r.archive} sha256 {r.digest} (identical)")
    return None


def write_and_build(r: Release) -> str | None:
    agents = r.root / build.AGENTS_FILE
    old_agents = agents.read_bytes().decode("utf-8") if agents.is_file() else None
    r.changed = sorted(rel for rel, text in r.new.items() if text != r.texts.get(rel, old_agents))

    def write() -> None:
        for rel in r.changed:
            build.write_atomic(r.root / rel, r.new[rel].encode())

    def rebuild() -> None:
        built = build.build(r.root, r.dist)
        if not built.ok or built.digest != r.digest:
            raise ReleaseError(f"{built.outputs[:1]} has sha256 {built.digest}, the staged builds {r.digest}")

    r.act(f"write {', '.join(r.changed)}", write)
    r.act(f"build {r.dist / r.archive} and {r.archive}.sha256 (sha256 must match)", rebuild)
    return None


def commit_and_tag(r: Release) -> str | None:
    message = f"Release {r.version}"
    notes = unreleased_notes(r.texts[CHANGELOG_FILE])
    tag_message = f"{r.manifest.get('name')} {r.version}\n\nsha256 {r.digest}  {r.archive}\n\n{notes}\n"
    r.act(f"git commit -m {message!r} -- {' '.join(r.changed)}", lambda: _commit(r.root, r.changed, message))
    tag = f"v{r.version}"
    r.act(
        f"git tag -a {tag} (message: name, version, sha256 and the changelog notes)",
        lambda: _git_checked(r.root, "tag", "-a", tag, "-m", tag_message),
    )
    return None


def _commit(root: Path, changed: list[str], message: str) -> None:
    _git_checked(root, "add", "--", *changed)
    _git_checked(root, "commit", "-q", "-m", message)


CHECKS: tuple[Step, ...] = (read_versions, clean_work_tree, new_texts, build_twice)
"""Steps that only read (and build in a temp folder): a dry-run runs them all and lists every blocker."""
ACTIONS: tuple[Step, ...] = (write_and_build, commit_and_tag)
"""Steps that write, commit and tag: they run only when no check found a blocker."""


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
    dist = (out if out is None or out.is_absolute() else root / out) or root / "dist"

    def act(what: str, action: Callable[[], object]) -> None:
        if dry_run:
            say(f"[dry-run] would {what}")
        else:
            action()
            say(f"{what}: done")

    r = Release(root, version, date or datetime.date.today().isoformat(), dist, act, say)
    blockers: list[str] = []
    for step in CHECKS:
        blocker = step(r)
        if blocker is not None:
            if not dry_run:
                raise ReleaseError(blocker)
            blockers.append(blocker)
            say(f"[dry-run] REFUSE: {blocker}")
    if blockers:
        say(f"[dry-run] {len(blockers)} problem(s) would stop this release")
        return Result(version, r.archive, r.digest, ok=False)
    for step in ACTIONS:
        step(r)
    say(f"{'then' if dry_run else 'next'}: git push origin HEAD v{version}  (CI builds the ZIP again and uploads it)")
    return Result(version, r.archive, r.digest, ok=True)
