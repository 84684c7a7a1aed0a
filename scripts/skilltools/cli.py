"""`skilltools`: a thin command line over the library. Exit 0 clean, 1 problems, 2 usage errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import build, evals_cli, examples, matrix_cmd, report, validate
from .build import write_atomic
from .errors import SkillToolsError
from .model import Problem
from .parse import load_skill
from .rules import PROFILES


def _skill_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value}: not a directory (expected a skill folder holding SKILL.md)")
    return path


def _report(problems: Sequence[Problem], as_json: bool) -> int:
    if as_json:
        print(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            print(problem, file=sys.stderr)
        errors = sum(p.severity == "error" for p in problems)
        if errors:
            print(f"{errors} problem(s)", file=sys.stderr)
    return 1 if validate.failed(list(problems)) else 0


def cmd_validate(args: argparse.Namespace) -> int:
    if args.target == "askill":
        from .askill_build import check_target

        manifest = load_skill(args.dir).manifest
        data = manifest.data if manifest and manifest.data is not None else {}
        return _report(check_target(args.dir, data), args.json)
    skill = load_skill(args.dir)
    problems = validate.validate(skill, args.profile)
    if skill.skill_md and not args.json:
        print(validate.body_budget(skill.skill_md), file=sys.stderr)
    return _report(problems, args.json)


def cmd_rules(args: argparse.Namespace) -> int:
    from .rules import RULES, render_table

    if args.json:
        print(json.dumps([vars(rule) for rule in RULES.values()], indent=2))
    else:
        print(render_table())
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    result = build.build(args.dir, args.out, args.as_dir, args.target)
    for note in result.notes:
        print(note, file=sys.stderr)
    if result.problems and not result.outputs:
        _report(result.problems, False)
        print("refusing to build an invalid skill; fix the problems above (nothing was written)", file=sys.stderr)
        return 1
    if result.problems:
        _report(result.problems, False)
        print(f"the built copy {result.outputs[0]} does not pass its checks", file=sys.stderr)
        return 1
    print(result.outputs[0] if result.digest is None else f"{result.outputs[0]}\nsha256 {result.digest}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skilltools", description="Maintainer tools for the dbos-python skill.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("validate", help="check frontmatter, index, links, sections and examples' annotations")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill folder (default: .)")
    p.add_argument("--json", action="store_true", help="print problems as JSON on stdout")
    p.add_argument(
        "--target",
        choices=["spec", "askill"],
        default="spec",
        help="spec: a source checkout or spec-clean build (default); askill: a `build --target askill` folder",
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="house",
        help="spec: only what the Agent Skills specification requires; house: also this project's rules (default)",
    )
    p.set_defaults(run=cmd_validate)

    p = commands.add_parser("rules", help="list every validator (SKL) and coverage (COV) rule")
    p.add_argument("--json", action="store_true", help="print the rules as JSON on stdout")
    p.set_defaults(run=cmd_rules)

    p = commands.add_parser("build", help="validate, compile AGENTS.md, write dist/<name>-<version>.zip + .sha256")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill folder (default: .)")
    p.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    p.add_argument(
        "--dir", dest="as_dir", action="store_true", help="write the unpacked skill folder instead of the ZIP"
    )
    p.add_argument(
        "--target",
        choices=["spec", "askill"],
        default="spec",
        help="askill: write <out>/askill/<name>/ with askill.yaml's askill-only keys in SKILL.md (for askill publish)",
    )
    p.set_defaults(run=cmd_build)

    p = commands.add_parser("check-examples", help="run every python example on SQLite and/or PostgreSQL")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill folder (default: .)")
    p.add_argument("-k", dest="pattern", help="only programs whose 'path:line' or file stem contains this")
    p.add_argument(
        "--db", choices=["sqlite", "postgres", "both"], default="sqlite", help="database(s) (default: sqlite)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=examples.Settings().jobs,
        help="runs in flight at most (default: 12 x cores; runs mostly wait)",
    )
    p.add_argument(
        "--no-gate",
        action="store_true",
        help="start runs regardless of CPU load (default: the next run starts when a core is free)",
    )
    p.add_argument("--cold", action="store_true", help="start a fresh interpreter per run instead of the warm pool")
    p.add_argument("--no-isolate-network", action="store_true", help="let examples reach the network")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("DBOS_TEST_POSTGRES_URL"),
        help="admin URL of a PostgreSQL server (default: $DBOS_TEST_POSTGRES_URL)",
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="also write outcomes as JSON")
    p.add_argument("--junit-xml", type=Path, metavar="FILE", help="also write a JUnit XML report")
    p.add_argument("--keep", action="store_true", help="keep the temp folders of every run (for debugging)")
    p.set_defaults(run=cmd_check_examples)

    p = commands.add_parser("coverage", help="which dbos API the skill teaches; names it uses that dbos lacks (drift)")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill folder (default: .)")
    p.add_argument("--json", action="store_true", help="print the coverage as JSON on stdout")
    p.add_argument("--write", action="store_true", help="regenerate docs/coverage.md")
    p.add_argument("--update-baseline", action="store_true", help="rewrite docs/coverage-baseline.json from now")
    p.set_defaults(run=cmd_coverage)

    matrix_cmd.add_parser(commands, _skill_dir)

    p = commands.add_parser("release", help="bump the version, date CHANGELOG.md, build twice (same sha256), tag")
    p.add_argument("version", type=_semver, help="the new version, e.g. 0.2.0 (semantic versioning)")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill checkout (default: .)")
    p.add_argument("--dry-run", action="store_true", help="check, stage and build in a temp folder; print each step")
    p.add_argument("--date", help="release date for CHANGELOG.md (default: today, YYYY-MM-DD)")
    p.add_argument("--out", type=Path, default=Path("dist"), help="output folder for the ZIP (default: dist)")
    p.set_defaults(run=cmd_release)

    evals_cli.register(commands)
    return parser


def cmd_coverage(args: argparse.Namespace) -> int:
    from . import coverage
    from .coverage import render as coverage_report

    skill = load_skill(args.dir)
    result = coverage.compute(skill)
    for flag, rel, text in (
        (args.write, coverage.REPORT_FILE, coverage_report.render_markdown),
        (args.update_baseline, coverage.BASELINE_FILE, coverage.baseline_text),
    ):
        if flag:
            write_atomic(skill.root / rel, text(result).encode())
            print(f"wrote {rel}", file=sys.stderr)
    problems = [*result.problems, *([] if args.update_baseline else coverage.check_baseline(result, skill.root))]
    print(coverage_report.to_json(result) if args.json else coverage_report.render_table(result) + "\n", end="")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _semver(value: str) -> str:
    from .release import SEMVER

    if not SEMVER.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a semantic version like 1.2.3 or 1.2.3-rc.1")
    return value


def cmd_release(args: argparse.Namespace) -> int:
    from .release import ReleaseError, release

    try:
        result = release(args.dir, args.version, dry_run=args.dry_run, date=args.date, out=args.out)
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0 if result.ok else 1


def cmd_check_examples(args: argparse.Namespace) -> int:
    skill = load_skill(args.dir)
    programs = examples.plan(skill, args.pattern)
    if not programs:
        print(
            f"no python examples matched {args.pattern!r}" if args.pattern else "no python examples found",
            file=sys.stderr,
        )
        return 1
    databases = list(examples.DATABASES) if args.db == "both" else [args.db]
    settings = examples.Settings(
        databases=databases,
        jobs=args.jobs,
        gate=not args.no_gate,
        warm=not args.cold,
        isolate_network=not args.no_isolate_network,
        postgres_url=args.postgres_url,
        keep=args.keep,
    )
    try:
        result = examples.check(skill, programs, settings, progress=report.Progress())  # main() reports setup errors
    except examples.Interrupted as interrupted:
        print(f"\n{interrupted}", file=sys.stderr)
        return 130
    outcomes = result.outcomes
    for outcome in outcomes:
        if not outcome.passed:
            print(outcome.render() + "\n", file=sys.stderr)
    for note in result.notes:
        print(f"NOTE: {note}", file=sys.stderr)
    if args.json:
        write_atomic(args.json, report.to_json(outcomes).encode())
    if args.junit_xml:
        write_atomic(args.junit_xml, report.to_junit(outcomes))
    print(examples.summary(outcomes, databases))
    return 0 if all(o.passed for o in outcomes) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except SkillToolsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a read-only folder: one line, no traceback
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
