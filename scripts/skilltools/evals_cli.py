"""The `skilltools eval` subcommand: argument parsing and output over `evals` (the library)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import evals
from .build import build_dir, write_atomic
from .parse import load_skill

EPILOG = """\
placeholders in CMD (substituted shell-quoted; do not quote them again):
  {prompt}       the scenario's prompt text
  {prompt_file}  path of a copy of prompt.md, outside the workspace
  {workdir}      the workspace (also the agent's working directory)
  {scenario}     the scenario's name
examples:
  skilltools eval --agent 'claude -p {prompt} --permission-mode acceptEdits' -k payment
  skilltools eval --agent 'codex exec --full-auto --skip-git-repo-check {prompt}' --both --json evals.json
exit status: 0 when every run passed its acceptance tests, 1 otherwise (or on bad scenarios), 2 on usage errors.
"""


def register(commands: Any) -> None:
    """Add `eval` to the skilltools subcommands."""
    p = commands.add_parser(
        "eval",
        help="run a coding agent on each eval scenario (with and/or without the skill) and grade its work",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), help="skill checkout (default: .)")
    p.add_argument("--agent", required=True, metavar="CMD", help="agent command line, run by /bin/sh in the workspace")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--without-skill", action="store_true", help="do not install the skill (the control run)")
    mode.add_argument("--both", action="store_true", help="run every scenario with and without the skill")
    p.add_argument("-k", dest="pattern", help="only scenarios whose name contains this")
    p.add_argument("--evals", type=Path, help="folder of scenarios (default: DIR/evals)")
    p.add_argument("--jobs", type=int, default=1, help="scenarios run at once (default: 1)")
    p.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds per agent run before its process group is killed"
    )
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite", help="database for the acceptance tests")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write every run as JSON")
    p.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table to FILE")
    p.add_argument("--keep", action="store_true", help="keep the workspaces (their path is printed)")
    p.set_defaults(run=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        scenarios = evals.discover(args.evals or args.dir / "evals", args.pattern)
    except evals.EvalError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not scenarios:
        print(f"no scenario matched {args.pattern!r}" if args.pattern else "no scenarios found", file=sys.stderr)
        return 1
    modes: tuple[evals.Mode, ...] = (
        ("with", "without") if args.both else ("without",) if args.without_skill else ("with",)
    )
    settings = evals.Settings(args.agent, modes, args.timeout, args.jobs, args.db, args.keep)
    with tempfile.TemporaryDirectory(prefix="skilltools-skill-") as tmp:
        skill_dir = build_dir(load_skill(args.dir), Path(tmp))
        runs = evals.run_all(scenarios, settings, skill_dir, progress=_progress)
    table = evals.render_markdown(runs)
    print(table)
    for note in settings.notes:
        print(f"NOTE: {note}", file=sys.stderr)
    if args.json:
        write_atomic(args.json, (json.dumps(evals.to_json(runs, settings), indent=2) + "\n").encode())
    if args.markdown:
        write_atomic(args.markdown, (table + "\n").encode())
    return 0 if all(run.passed for run in runs) else 1


def _progress(run: evals.Run) -> None:
    verdict = "pass" if run.passed else "FAIL"
    agent = "timeout" if run.timed_out else f"exit {run.agent_exit}"
    print(f"{verdict} {run.scenario} [{run.mode} skill] tests {run.score}, agent {agent}", file=sys.stderr)
