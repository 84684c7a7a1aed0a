"""`skilltools matrix`: the version matrix and the drift watch, as a thin command over matrix.py/compat.py."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from packaging.version import InvalidVersion, Version

from . import compat, matrix, venvs
from .build import write_atomic
from .parse import load_skill


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser], skill_dir: Callable[[str], Path]) -> None:
    p = commands.add_parser(
        "matrix",
        help="run every example under several dbos releases (cached venvs) and report file x version",
        description=(
            "Each release gets a venv under $SKILL_MATRIX_CACHE (default ~/.cache/dbos-python-skill/matrix), "
            "created once and reused. Default releases: every release of the newest dbos major and the last of "
            "the major before. --newest checks only the newest release on the registry against docs/compat.json "
            "(the drift watch): exit 1 if it is newer and anything broke, vanished or is untaught."
        ),
    )
    p.add_argument("dir", nargs="?", type=skill_dir, default=Path("."), help="skill checkout (default: .)")
    p.add_argument("--versions", help="comma-separated dbos releases, e.g. 2.31.1,3.0.0,3.4.0")
    p.add_argument(
        "-k",
        dest="pattern",
        help="only programs whose 'path:line' or file stem contains this; with --write, the other files keep "
        "their recorded evidence and the releases default to the recorded ones",
    )
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite", help="databases (default sqlite)")
    p.add_argument("--jobs", type=int, help="parallel runs per release (default: the checker's)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the matrix as JSON")
    p.add_argument("--write", action="store_true", help="record the result in docs/compat.json and docs/compat.md")
    p.add_argument(
        "--update-ranges", action="store_true", help="with --write: set each reference's dbos: range to the evidence"
    )
    p.add_argument("--newest", action="store_true", help="drift watch: the newest release on the registry only")
    p.add_argument("--log", type=Path, help="append pip and checker output here (default: a file in the cache)")
    p.set_defaults(run=cmd_matrix)


def _versions(args: argparse.Namespace) -> list[str]:
    if args.versions:
        wanted = [v.strip() for v in args.versions.split(",") if v.strip()]
        for version in wanted:
            try:
                Version(version)
            except InvalidVersion:
                raise venvs.VenvError(f"--versions: {version!r} is not a version number") from None
        return sorted(set(wanted), key=Version)
    return venvs.default_versions(venvs.released_versions())


def cmd_matrix(args: argparse.Namespace) -> int:
    root: Path = args.dir.resolve()
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    log = args.log or venvs.cache_root() / "matrix.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if "postgres" in databases and not os.environ.get("DBOS_TEST_POSTGRES_URL"):
        print(
            "error: --db postgres/both needs DBOS_TEST_POSTGRES_URL (a server it may create databases on)",
            file=sys.stderr,
        )
        return 2
    print(f"venvs: {venvs.cache_root()} (log: {log})", file=sys.stderr)
    try:
        if args.newest:
            chosen = _versions(args) if args.versions else []
            if len(chosen) > 1:
                raise venvs.VenvError(f"--newest checks one release; --versions named {len(chosen)}: {chosen}")
            return drift_watch(root, databases, args.jobs, log, chosen[0] if chosen else None)
        previous = compat.load(root) if args.pattern and args.write else None
        versions = previous.versions if previous and not args.versions else _versions(args)
    except venvs.VenvError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    skill = load_skill(root)
    runs = matrix.run_all(root, skill, versions, databases, args.jobs, log=log, pattern=args.pattern)
    result = matrix.build(skill, runs, databases, args.pattern)
    if previous is not None and sorted(previous.versions) != sorted(result.versions):
        print(f"error: -k with --write must measure the recorded releases {previous.versions}", file=sys.stderr)
        return 1
    text = compat.to_json(result, skill, previous)
    if args.json:
        write_atomic(args.json, text.encode())
    evidence = compat.load_text(text)
    print(compat.to_markdown(evidence))
    if args.write:
        write_atomic(root / compat.COMPAT_JSON, text.encode())
        write_atomic(root / compat.COMPAT_MD, compat.to_markdown(evidence).encode())
        print(f"wrote {compat.COMPAT_JSON} and {compat.COMPAT_MD}", file=sys.stderr)
        if args.update_ranges:
            for path, new_text in compat.update_ranges(load_skill(root), evidence).items():
                write_atomic(root / path, new_text.encode())
                print(f"{path}: dbos range set from the evidence", file=sys.stderr)
    return 1 if any(run.error for run in runs) else 0


def drift_watch(root: Path, databases: list[str], jobs: int | None, log: Path, newest: str | None) -> int:
    """Compare the newest release with the last checked-in matrix; print what changed; 1 on drift."""
    recorded = compat.load(root)
    if recorded is None:
        print(f"error: no {compat.COMPAT_JSON}; run `skilltools matrix --write` first", file=sys.stderr)
        return 1
    latest = newest or venvs.released_versions()[0]
    if Version(latest) <= Version(recorded.newest):
        print(f"dbos {latest} is not newer than {recorded.newest}, the newest release in {compat.COMPAT_JSON}")
        return 0
    print(f"dbos {latest} is newer than {recorded.newest}: checking the skill against it", file=sys.stderr)
    skill = load_skill(root)
    run = matrix.run_version(root, skill, latest, databases, jobs, log)
    if run.error:
        print(f"DRIFT: dbos {latest} could not be checked: {run.error}")
        return 1
    report = drift_report(root, recorded, run, coverage_json(root, latest, log))
    print("\n".join(report) if report else f"no drift: every example passes on dbos {latest}, no API change")
    return 1 if report else 0


def drift_report(
    root: Path, recorded: compat.Evidence, run: matrix.VersionRun, coverage: dict[str, object]
) -> list[str]:
    """Lines naming what broke, which new API names are untaught, which taught names vanished."""
    lines = []
    for result in run.results:
        if not result.passed:
            was = recorded.files.get(result.path, {}).get(recorded.newest)
            if was is None or was.passed:
                lines.append(f"BROKE {result.where}: {result.headline}")
    for problem in coverage.get("problems", []):  # type: ignore[attr-defined]
        lines.append(f"VANISHED {problem['path']}:{problem['line']}: {problem['id']} {problem['message']}")
    for category in coverage.get("categories", []):  # type: ignore[attr-defined]
        for item in category["items"]:
            if item["status"] == "missing":
                lines.append(f"UNTAUGHT {category['category']}.{item['name']}: new in dbos {run.version}?")
    return lines


def coverage_json(root: Path, version: str, log: Path) -> dict[str, object]:
    """`skilltools coverage --json` run inside the release's venv (it introspects the installed dbos)."""
    env = venvs.ensure_venv(root, version, log=log)
    done = subprocess.run(
        [str(env.python), "-m", "skilltools.cli", "coverage", str(root), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root / "scripts")},
        stdin=subprocess.DEVNULL,
    )
    try:
        data: dict[str, object] = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"problems": [{"path": "-", "line": 0, "id": "COV", "message": "coverage failed: " + " ".join(tail)}]}
    return data
