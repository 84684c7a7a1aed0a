"""A stand-in for `askill run <skill>:<command> [--] ARGS` with askill's mechanics, for tests without the real CLI:
the skill is looked up in ./.agents/skills/<name>, then
~/.agents/skills/<name> (a global install), its command read by our askill reader, the `run` string plus the
quoted ARGS executed with `sh -c` in the skill folder, with ASKILL_SKILL_DIR, ASKILL_SKILL_NAME and ASKILL_COMMAND
set. Like askill, this process itself stays in the caller's directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from skilltools import askill_reader as reader


def quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'" if re.search(r"[^a-zA-Z0-9_\-./=:]", arg) else arg


def main(argv: list[str]) -> int:
    assert argv[0] == "run", "usage: askill_stand_in.py run <skill>:<command> [--] ARGS"
    skill, _, command = argv[1].rpartition(":")
    args = argv[2:][1:] if argv[2:3] == ["--"] else argv[2:]
    name = reader.install_name(skill)
    skill_dir = next(
        (d for d in (Path.cwd() / ".agents/skills" / name, Path.home() / ".agents/skills" / name) if d.is_dir()), None
    )
    assert skill_dir is not None, f"skill {skill!r} not installed in ./.agents/skills or ~/.agents/skills"
    seen = reader.read_frontmatter((skill_dir / "SKILL.md").read_text())
    assert seen is not None, "no frontmatter"
    spec = seen.values["commands"][command]
    line = " ".join([spec["run"], *map(quote, args)])
    env = {**os.environ, "ASKILL_SKILL_DIR": str(skill_dir), "ASKILL_SKILL_NAME": skill, "ASKILL_COMMAND": command}
    return subprocess.run(line, shell=True, cwd=skill_dir, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
