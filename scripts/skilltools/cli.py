"""`skilltools`: a thin command line over the library. Exit 0 clean, 1 problems, 2 usage errors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from . import build, validate
from .model import Problem
from .parse import load_skill


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
        if problems:
            print(f"{len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


def cmd_validate(args: argparse.Namespace) -> int:
    skill = load_skill(args.dir)
    problems = validate.validate(skill)
    if skill.skill_md and not args.json:
        print(validate.body_budget(skill.skill_md), file=sys.stderr)
    return _report(problems, args.json)


def cmd_build(args: argparse.Namespace) -> int:
    skill = load_skill(args.dir)
    problems = validate.validate(skill)
    if problems:
        _report(problems, False)
        print("refusing to build an invalid skill; fix the problems above", file=sys.stderr)
        return 1
    agents = build.compile_agents(skill)
    agents_path = skill.root / build.AGENTS_FILE
    if not agents_path.exists() or agents_path.read_text("utf-8") != agents:
        build.write_atomic(agents_path, agents.encode())
        print(f"wrote {build.AGENTS_FILE}", file=sys.stderr)
        skill = load_skill(args.dir)
    out = args.out if args.out.is_absolute() else skill.root / args.out
    if args.as_dir:
        folder = build.build_dir(skill, out)
        built_problems = validate.validate(load_skill(folder))
        if built_problems:
            _report(built_problems, False)
            print(f"the built folder {folder} does not validate", file=sys.stderr)
            return 1
        print(folder)
        return 0
    target, digest = build.build_zip(skill, out)
    print(f"{target}\nsha256 {digest}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skilltools", description="Maintainer tools for the dbos-python skill.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("validate", help="check frontmatter, index, links, sections and examples' annotations")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill folder (default: .)")
    p.add_argument("--json", action="store_true", help="print problems as JSON on stdout")
    p.set_defaults(run=cmd_validate)

    p = commands.add_parser("build", help="validate, compile AGENTS.md, write dist/<name>-<version>.zip + .sha256")
    p.add_argument("dir", nargs="?", type=_skill_dir, default=Path("."), help="skill folder (default: .)")
    p.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    p.add_argument("--dir", dest="as_dir", action="store_true", help="write the unpacked skill folder instead of the ZIP")
    p.set_defaults(run=cmd_build)

    for register in EXTRA_COMMANDS:
        register(commands)
    return parser


EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except build.BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
