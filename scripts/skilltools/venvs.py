"""One cached virtualenv per dbos release, outside the repository, for the version matrix.

A venv holds `dbos[otel]==VERSION` plus what the examples import (the project's runtime and `dev` requirements
minus dbos itself and the maintainer-only tools). The tooling is not installed into it: the matrix runs
`python -m skilltools.cli` from the checkout with `PYTHONPATH=<root>/scripts`, so one venv serves every
checkout. A venv is created once (a `.ready` marker is written last) and reused; a half-built one is rebuilt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from packaging.version import InvalidVersion, Version

# Maintainer tools the examples never import: not worth installing once per dbos release.
NOT_FOR_EXAMPLES = {"dbos", "ruff", "mypy", "types-pyyaml", "types-jsonschema", "hypothesis", "pre-commit"}
READY = ".ready"


class VenvError(Exception):
    """A venv could not be created or a version list could not be read; the message says which and why."""


def cache_root() -> Path:
    """`$SKILL_MATRIX_CACHE`, else `$XDG_CACHE_HOME/dbos-python-skill/matrix`, else `~/.cache/...`."""
    if env := os.environ.get("SKILL_MATRIX_CACHE"):
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dbos-python-skill" / "matrix"


@dataclass(frozen=True)
class VersionEnv:
    version: str
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def ready(self) -> bool:
        return (self.path / READY).exists() and self.python.exists()


def example_requirements(root: Path, version: str) -> list[str]:
    """The pip requirements of a venv for `version`: dbos pinned, plus what the examples import."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = [*project.get("dependencies", []), *project.get("optional-dependencies", {}).get("dev", [])]
    kept = [req for req in wanted if _requirement_name(req) not in NOT_FOR_EXAMPLES]
    return [f"dbos[otel]=={version}", *kept]


def _requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.\-]+", requirement.strip())
    return match.group(0).lower().replace("_", "-") if match else requirement


def ensure_venv(root: Path, version: str, cache: Path | None = None, log: Path | None = None) -> VersionEnv:
    """Create (once) and return the venv for `version`; raise VenvError with pip's last lines on failure."""
    env = VersionEnv(version, (cache or cache_root()) / f"dbos-{version}")
    if env.ready:
        return env
    if env.path.exists():
        shutil.rmtree(env.path)  # a half-built venv from an interrupted run
    env.path.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(env.path)],
        [str(env.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *example_requirements(root, version)],
    ]  # fmt: skip
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if log is not None:
            with log.open("a") as out:
                out.write(f"$ {' '.join(step)}\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            raise VenvError(f"creating the venv for dbos {version} failed ({' '.join(step[:4])} ...):\n{tail}")
    (env.path / READY).write_text(version + "\n")
    return env


def released_versions(python: str = sys.executable) -> list[str]:
    """Every dbos release on the package registry, newest first (pip's own index query)."""
    done = subprocess.run(
        [python, "-m", "pip", "index", "versions", "dbos", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    match = re.search(r"Available versions:\s*(.+)", done.stdout)
    if done.returncode != 0 or match is None:
        raise VenvError(f"cannot list dbos releases: {(done.stderr or done.stdout).strip()[-300:]}")
    return sorted_versions(v.strip() for v in match.group(1).split(","))


def sorted_versions(versions: object) -> list[str]:
    """Valid, final releases only, newest first."""
    parsed = []
    for text in versions:  # type: ignore[attr-defined]
        try:
            version = Version(str(text))
        except InvalidVersion:
            continue
        if not version.is_prerelease and not version.is_devrelease:
            parsed.append(version)
    return [str(v) for v in sorted(set(parsed), reverse=True)]


def default_versions(released: list[str]) -> list[str]:
    """Every release of the newest major, and the last release of the major before it; oldest first."""
    if not released:
        return []
    newest_major = Version(released[0]).major
    current = [v for v in released if Version(v).major == newest_major]
    previous = [v for v in released if Version(v).major == newest_major - 1][:1]
    return sorted(current + previous, key=Version)
