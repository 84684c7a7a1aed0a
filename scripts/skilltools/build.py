"""The one build pipeline, `build()`, used by `skilltools build` and by the release: validate first (nothing is
written for an invalid skill), refresh AGENTS.md (the digest, compiled by digest.py in one call), then write the
reproducible distribution ZIP or the unpacked folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .digest import compile_digest
from .errors import SkillToolsError
from .manifest import shipped_files
from .model import Problem, Skill
from .parse import MAX_FILE_BYTES, load_skill
from .rules import problem

AGENTS_FILE = "AGENTS.md"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""The earliest date a ZIP can hold: fixed so that two builds are byte-identical."""


class BuildError(SkillToolsError):
    """The skill cannot be built as asked; the message says why and what to do."""


# --- AGENTS.md -------------------------------------------------------------------------------------------


def compile_agents(skill: Skill) -> str:
    """AGENTS.md: the one-file digest (rules, traps, task router, a line per reference), see digest.py."""
    return compile_digest(skill)


# --- atomic writes ---------------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- the package -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    files: tuple[str, ...]


def package_of(skill: Skill) -> Package:
    manifest = skill.manifest
    if manifest is None or manifest.data is None:
        raise BuildError("askill.yaml is missing or unreadable; run `skilltools validate` for details")
    files, problems = shipped_files(skill.root, manifest.data.get("files"), 1)
    if problems:
        raise BuildError(f"askill.yaml files: {problems[0].message}")
    return Package(str(manifest.data["name"]), str(manifest.data["version"]), tuple(files))


def _mode(path: Path) -> int:
    return 0o755 if path.read_bytes()[:2] == b"#!" else 0o644


def zip_bytes(skill: Skill, package: Package, overrides: dict[str, bytes] | None = None) -> bytes:
    """The ZIP, deterministic: sorted entries, fixed dates and modes, one top folder named after the skill."""
    overrides = overrides or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for rel in sorted(package.files):
            source = skill.root / rel
            info = zipfile.ZipInfo(f"{package.name}/{rel}", date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = (0o100000 | _mode(source)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, overrides.get(rel, source.read_bytes()), compresslevel=9)
    return buffer.getvalue()


def archive(skill: Skill) -> tuple[str, bytes, str]:
    """(file name, ZIP bytes, sha256 hex digest) of the skill's distribution, computed in memory."""
    package = package_of(skill)
    data = zip_bytes(skill, package)
    return f"{package.name}-{package.version}.zip", data, hashlib.sha256(data).hexdigest()


def build_zip(skill: Skill, out_dir: Path) -> tuple[Path, str]:
    """Write dist/<name>-<version>.zip and its .sha256; returns (zip path, hex digest)."""
    name, data, digest = archive(skill)
    target = out_dir / name
    write_atomic(target, data)
    write_atomic(target.with_name(target.name + ".sha256"), f"{digest}  {target.name}\n".encode())
    return target, digest


def build_dir(skill: Skill, out_dir: Path, overrides: dict[str, bytes] | None = None) -> Path:
    """Write the unpacked skill folder (what an agent installs), replacing any earlier one whole.

    `overrides` replaces the content of shipped files (the askill target's SKILL.md)."""
    package = package_of(skill)
    final = out_dir / package.name
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{package.name}.", dir=out_dir))
    try:
        for rel in package.files:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((overrides or {}).get(rel) or (skill.root / rel).read_bytes())
            os.chmod(target, _mode(skill.root / rel))
        os.chmod(staging, 0o755)
        old = None
        if final.exists():
            old = out_dir / f".{package.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            final.rename(old)
        staging.rename(final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


# --- the pipeline ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """What one build did. With `problems` (errors), it refused and wrote nothing."""

    problems: tuple[Problem, ...] = ()
    outputs: tuple[Path, ...] = ()
    digest: str | None = None
    """sha256 of the ZIP (None for a folder)."""
    notes: tuple[str, ...] = ()
    """What was refreshed on the way, e.g. `wrote AGENTS.md`."""

    @property
    def ok(self) -> bool:
        return not self.problems


def build(root: Path, out: Path, as_dir: bool = False, target: str = "spec") -> Built:
    """Validate the skill at `root`, refresh its AGENTS.md, write the ZIP (or the folder with `as_dir`) to `out`
    (relative to `root` unless absolute). `target="askill"` writes the askill copy instead."""
    from . import validate  # validate reads the model only; imported here to keep build importable on its own

    skill = load_skill(root)
    problems = [p for p in validate.validate(skill) if p.severity == "error"]
    agents = compile_agents(skill).encode("utf-8")
    if len(agents) > MAX_FILE_BYTES:
        problems.append(problem("SKL003", AGENTS_FILE, 1, size=len(agents), limit=MAX_FILE_BYTES))
    if problems:
        return Built(tuple(problems))
    notes: list[str] = []
    agents_path = skill.root / AGENTS_FILE
    if skill.skill_md and (not agents_path.is_file() or agents_path.read_bytes() != agents):
        write_atomic(agents_path, agents)
        notes.append(f"wrote {AGENTS_FILE}")
        skill = load_skill(root)
    out = out if out.is_absolute() else skill.root / out
    if target == "askill":
        from .askill_build import build_askill

        folder, target_problems = build_askill(skill, out)
        return Built(tuple(target_problems), (folder,), None, tuple(notes))
    if as_dir:
        folder = build_dir(skill, out)
        built = [p for p in validate.validate(load_skill(folder)) if p.severity == "error"]
        return Built(tuple(built), (folder,), None, tuple(notes))
    target_path, digest = build_zip(skill, out)
    return Built((), (target_path, target_path.with_name(target_path.name + ".sha256")), digest, tuple(notes))
