"""Benchmark: scripts/dbos_lint.py on the dbos sdist's own tests: precision, findings per rule, speed.

Downloads `dbos==VERSION` as an sdist (`pip download --no-deps --no-binary :all:`) into a cache outside the
repository (default ~/.cache/dbos-python-skill/), lints its `tests/` folder and prints, side by side with a
bare `ast.parse` of the same files: files, lines, seconds, lines/second, the single-process ratio to
`ast.parse`, and the parallel run. Precision is kept/total, where kept are the findings listed in the
checked-in judgement table (bench/lint_corpus_judged.txt: `tests/<file>.py:<line>:<id>` of that sdist
version, each judged correct by reading the code). Nothing of dbos's code is copied into this repository.

Prints figures; asserts nothing (speed goals live here, not in timed tests).

    .venv/bin/python bench/lint_corpus.py [--version 3.4.0] [--jobs 2] [--show] [--json OUT]
"""

from __future__ import annotations

import argparse
import ast
import gc
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import dbos_lint  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dbos-python-skill"
JUDGED = ROOT / "bench" / "lint_corpus_judged.txt"


def fetch(version: str, cache: Path) -> Path:
    """The extracted sdist folder for `version`, downloading it once."""
    folder = cache / f"dbos-{version}"
    if (folder / "tests").is_dir():
        return folder
    sdists = cache / "sdist"
    archive = sdists / f"dbos-{version}.tar.gz"
    if not archive.exists():
        cmd = [sys.executable, "-m", "pip", "download", f"dbos=={version}", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*cmd, "-d", str(sdists)], check=True, stdout=subprocess.DEVNULL)
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        (Path(tmp) / f"dbos-{version}").rename(folder)
    return folder


def judged(path: Path) -> set[str]:
    """`file:line:id` keys of the findings judged correct (text after `#` is the reason)."""
    keys = set()
    for line in path.read_text().splitlines():
        key = line.split("#", 1)[0].strip()
        if key:
            keys.add(key)
    return keys


def timed_parse(sources: list[str], collect: bool = True) -> float:
    """CPU seconds of a bare ast.parse of every source (with the cyclic GC off when not `collect`)."""
    if not collect:
        gc.disable()
    try:
        started = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for source in sources:
                ast.parse(source)
        return time.process_time() - started
    finally:
        gc.enable()


def timed_lint(sources: list[str], names: list[str]) -> tuple[float, list[dbos_lint.Finding]]:
    started = time.process_time()
    findings = [
        f
        for source, name in zip(sources, names, strict=True)
        for f in dbos_lint.lint_source(source, name)
        if not getattr(dbos_lint.RULES[f.id], "opt_in", False)  # (older linters returned opt-in ids too)
    ]
    return time.process_time() - started, findings


def timed_paths(files: list[Path], jobs: int) -> float:
    """Wall seconds of `lint_paths` (the CLI's path: reading files, `jobs` worker processes)."""
    if not hasattr(dbos_lint, "lint_paths"):  # an older linter given with --linter
        return float("nan")
    started = time.perf_counter()
    dbos_lint.lint_paths(files, jobs=jobs)
    return time.perf_counter() - started


def load_linter(path: Path) -> None:
    """Benchmark another copy of the linter (e.g. main's, for before/after figures)."""
    global dbos_lint
    spec = importlib.util.spec_from_file_location("dbos_lint_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    dbos_lint = module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="3.4.0", help="dbos sdist version (default 3.4.0)")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"download cache (default {CACHE})")
    parser.add_argument("--judged", type=Path, default=JUDGED, help="judgement table (file:line:id per line)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for the parallel run")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs; the best is reported")
    parser.add_argument("--json", type=Path, help="report path (default <cache>/lint_corpus-<version>.json)")
    parser.add_argument("--linter", type=Path, help="another dbos_lint.py to measure (default: this checkout's)")
    parser.add_argument("--show", action="store_true", help="print every finding, marking unjudged ones")
    args = parser.parse_args()

    if args.linter:
        load_linter(args.linter)
    root = fetch(args.version, args.cache)
    files = sorted((root / "tests").rglob("*.py"))
    names = [str(p.relative_to(root)) for p in files]
    sources = [p.read_text(encoding="utf-8") for p in files]
    lines = sum(s.count("\n") + 1 for s in sources)

    parse_runs, nogc_runs, lint_runs, serial_runs, parallel_runs = [], [], [], [], []
    for _ in range(args.repeat):  # interleaved, so a burst of load on this shared machine hits all of them
        parse_runs.append(timed_parse(sources))
        nogc_runs.append(timed_parse(sources, collect=False))
        seconds, findings = timed_lint(sources, names)
        lint_runs.append(seconds)
        serial_runs.append(timed_paths(files, 1))
        parallel_runs.append(timed_paths(files, args.jobs))
    parse_s, nogc_s = min(parse_runs), min(nogc_runs)
    lint_s, serial_s, parallel_s = min(lint_runs), min(serial_runs), min(parallel_runs)

    keys = [f"{f.path}:{f.line}:{f.id}" for f in findings]
    table = judged(args.judged) if args.judged.exists() else set()
    kept = [k for k in keys if k in table]
    stale = sorted(table - set(keys))
    per_rule = Counter(f.id for f in findings)
    precision = len(kept) / len(keys) if keys else 1.0

    print(f"dbos {args.version} tests: {len(files)} files, {lines} lines ({root})")
    load = os.getloadavg()[0]
    print(f"best of {args.repeat}; CPU seconds of this process (the linter turns the GC off while parsing)")
    print(f"{'':<26}{'seconds':>9}{'lines/s':>10}{'x parse':>9}")
    rows = [
        ("ast.parse", parse_s),
        ("ast.parse, GC off", nogc_s),
        ("dbos_lint", lint_s),
    ]
    for label, seconds in rows:
        print(f"{label:<26}{seconds:>9.3f}{lines / seconds:>10.0f}{seconds / parse_s:>9.2f}")
    print(f"wall seconds of the CLI's path (files read, lint_paths); load average {load:.1f} on {os.cpu_count()} cores")
    for label, seconds in [("dbos_lint, 1 process", serial_s), (f"dbos_lint, {args.jobs} processes", parallel_s)]:
        print(f"{label:<26}{seconds:>9.3f}{lines / seconds:>10.0f}")
    print("findings per rule: " + (", ".join(f"{i} {n}" for i, n in sorted(per_rule.items())) or "none"))
    print(f"precision: {len(kept)}/{len(keys)} = {precision:.1%} (judgement table {args.judged.name})")
    if stale:
        print(f"judged but no longer reported (lost recall?): {', '.join(stale)}")
    if args.show:
        for key, finding in zip(keys, findings, strict=True):
            print(f"{'  ' if key in table else '? '}{finding}")

    report = {
        "version": args.version,
        "files": len(files),
        "lines": lines,
        "parse_seconds": parse_s,
        "parse_seconds_gc_off": nogc_s,
        "lint_seconds": lint_s,
        "serial_wall_seconds": serial_s,
        "parallel_seconds": parallel_s,
        "jobs": args.jobs,
        "lines_per_second": lines / parallel_s,
        "ratio_to_parse": lint_s / parse_s,
        "findings_per_rule": dict(sorted(per_rule.items())),
        "findings": [f.as_dict() | {"judged_correct": k in table} for k, f in zip(keys, findings, strict=True)],
        "judged_not_reported": stale,
        "precision": precision,
    }
    out = args.json or args.cache / f"lint_corpus-{args.version}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(out)
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
