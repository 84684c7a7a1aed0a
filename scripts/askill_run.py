#!/usr/bin/env python3
"""The skill's askill commands: `askill run dbos-python:lint -- PATH...` and `askill run dbos-python:rules`.

askill runs a command inside the installed skill folder, not where you typed it, and passes no variable that
names your directory. This wrapper finds it: the askill process (an ancestor whose command line holds
`<skill>:<command>`) still runs in your directory, which /proc tells on Linux, `ps` and `lsof` elsewhere (macOS).
Relative paths then mean what you meant. Where that cannot be found (Windows, or neither tool), relative paths
are refused with a message asking for absolute ones; the wrong tree is never linted. Run directly (without
askill), it uses the current directory. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
USAGE = """usage: askill_run.py lint [PATH...] [--json] [--select IDS] [--ignore IDS]
       askill_run.py rules
       askill_run.py dbos-version

lint          lint Python files and folders (default: the directory you ran askill from)
rules         list every rule and the skill reference that explains it
dbos-version  which dbos this python3 has, and what that means for the skill (SKILL.md, Procedure step 1)"""
_MAX_DEPTH = 16


class ProcProbe:
    """Linux: a process's parent, command line and working directory from /proc."""

    def available(self) -> bool:
        return Path("/proc/self/stat").exists()

    def parent(self, pid: int) -> int | None:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
        return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None

    def argv(self, pid: int) -> list[str]:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            return []

    def cwd(self, pid: int) -> Path | None:
        try:
            return Path(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            return None


class PsProbe:
    """Without /proc (macOS, BSD): `ps` for the parent and command line, `lsof` for the working directory."""

    def _run(self, *command: str) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout if done.returncode == 0 else ""

    def available(self) -> bool:
        return bool(shutil.which("ps") and shutil.which("lsof"))

    def parent(self, pid: int) -> int | None:
        out = self._run("ps", "-o", "ppid=", "-p", str(pid)).strip()
        return int(out) if out.isdigit() else None

    def argv(self, pid: int) -> list[str]:
        return self._run("ps", "-ww", "-o", "args=", "-p", str(pid)).split()  # words are enough to find `run <target>`

    def cwd(self, pid: int) -> Path | None:
        out = self._run("lsof", "-a", "-p", str(pid), "-d", "cwd", "-Fn")
        names = [line[1:] for line in out.splitlines() if line.startswith("n")]
        return Path(names[0]) if names else None


def askill_caller_dir(env: Mapping[str, str], start_pid: int, probe: ProcProbe | PsProbe | None = None) -> Path | None:
    """The directory `askill run` was typed in: the cwd of the ancestor running `askill run <skill>:<command>`.

    None when it cannot be found (neither /proc nor ps + lsof, or no such ancestor).
    """
    if probe is None:
        probe = next((p for p in (ProcProbe(), PsProbe()) if p.available()), None)
        if probe is None:
            return None
    target = f"{env.get('ASKILL_SKILL_NAME', '')}:{env.get('ASKILL_COMMAND', '')}"
    pid: int | None = start_pid
    for _ in range(_MAX_DEPTH):
        if pid is None or pid <= 1:
            return None
        argv = probe.argv(pid)
        if "run" in argv and target in argv[argv.index("run") + 1 :]:
            return probe.cwd(pid)
        pid = probe.parent(pid)
    return None


def _path_args(args: list[str]) -> list[str]:
    """The PATH operands of a lint command line (option values are not paths)."""
    paths, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--select", "--ignore"):
            skip = True
        elif not arg.startswith("-"):
            paths.append(arg)
    return paths


def lint(args: list[str], env: Mapping[str, str], start_pid: int) -> int:
    skill_dir = env.get("ASKILL_SKILL_DIR")
    paths = _path_args(args)
    if skill_dir:
        caller = askill_caller_dir(env, start_pid)
        if caller is not None:
            os.chdir(caller)
        elif not paths or any(not os.path.isabs(p) for p in paths):
            name = env.get("ASKILL_SKILL_NAME", "dbos-python")
            print(
                f"{name}:lint: askill runs this command inside the skill folder ({skill_dir}), and the directory you "
                "ran askill from cannot be found on this system, so relative paths would point into the skill.\n"
                f'Pass absolute paths instead, e.g.: askill run {name}:lint -- "$PWD/app"\n'
                f"or run the linter directly: python3 {HERE / 'dbos_lint.py'} app/",
                file=sys.stderr,
            )
            return 2
    if not paths:
        args = [*args, "."]
    import dbos_lint

    code = dbos_lint.main(args)
    if code == 1 and skill_dir and "--json" not in args:
        print(f"(the references named above are in {Path(skill_dir) / 'references'})", file=sys.stderr)
    return code


def dbos_version_advice(version: str | None) -> tuple[int, str]:
    """(exit code, one line) for an installed dbos version (None: not installed), per SKILL.md's Procedure step 1."""
    if version is None:
        return 1, 'dbos is not installed for this python3; install it: pip install "dbos>=3.4,<4"'
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:2]] + [0, 0]
    major, minor = parts[0], parts[1]
    if (major, minor) == (3, 4):
        return 0, f"dbos {version}: the version every example in this skill is proven on; it applies as written"
    if major == 3 and minor < 4:
        return 1, f"dbos {version}: older 3.x; a reference's dbos: range says whether its examples ran as written"
    if major < 3:
        return 1, f"dbos {version}: 2.x; read references/advanced-upgrade-2x.md first (migrate, then upgrade)"
    return 1, f"dbos {version}: newer than 3.4; check that each API you use still exists, then lint and test"


def dbos_version() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        found: str | None = version("dbos")
    except PackageNotFoundError:
        found = None
    code, advice = dbos_version_advice(found)
    print(f"{advice}\n(python3: {sys.executable}; details: {HERE.parent / 'SKILL.md'}, Procedure step 1)")
    return code


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, str(HERE))
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not args else sys.stdout)
        return 2 if not args else 0
    command, rest = args[0], args[1:]
    if command == "lint":
        return lint(rest, os.environ, os.getppid())
    if command == "rules":
        import dbos_lint

        return dbos_lint.main(["--list-rules"])
    if command == "dbos-version":
        return dbos_version()
    print(f"askill_run.py: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
