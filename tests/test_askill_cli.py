"""The real askill CLI on our built folders, in a temp project and HOME, offline. Runs only when ASKILL_CLI names
an askill CLI (a `node` script such as dist/cli.mjs, or a binary); otherwise every test here is skipped and the
run ends with a loud line saying the real-client half was NOT RUN (as for PostgreSQL).

askill is not on npm; build it from its public source (github.com/avibe-bot/askill, `npm run build`) outside this
repository and point ASKILL_CLI at it. Offline: each call runs in its own network namespace (`unshare -n`) where
the machine allows it, a fresh `~/.askill/last-update-check` stops askill's update check, the registry URL points
at a closed local port, and `publish` stops at "Not logged in", after its local checks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from skilltools import load_skill
from skilltools.askill_build import build_askill
from skilltools.build import build_dir
from skilltools.executor import network_isolation_available

REPO = Path(__file__).resolve().parent.parent
ASKILL_CLI = os.environ.get("ASKILL_CLI", "")
MISTAKE = "from dbos import DBOS\nimport time\n\n\n@DBOS.workflow()\ndef stamp() -> float:\n    return time.time()\n"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

pytestmark = pytest.mark.skipif(
    not ASKILL_CLI, reason="askill real-client half NOT RUN: set ASKILL_CLI to an askill CLI (see this file)"
)


def askill_command() -> list[str]:
    path = Path(ASKILL_CLI)
    if not path.exists():
        pytest.fail(f"ASKILL_CLI={ASKILL_CLI!r} does not exist", pytrace=False)
    return ["node", str(path)] if path.suffix in (".js", ".mjs", ".cjs") else [str(path)]


class Askill:
    def __init__(self, home: Path) -> None:
        self.home = home
        (home / ".askill").mkdir(parents=True, exist_ok=True)
        (home / ".askill" / "last-update-check").write_text(str(int(time.time() * 1000)))

    def __call__(self, cwd: Path, *args: str) -> tuple[int, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASKILL_", "CLAUDE_", "CODEX_", "XDG_"))}
        env |= {"HOME": str(self.home), "NO_COLOR": "1", "ASKILL_REGISTRY_URL": "http://127.0.0.1:9"}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # python3 with dbos 3.4
        offline = ["unshare", "-n", "--"] if network_isolation_available() else []
        result = subprocess.run(
            [*offline, *askill_command(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        return result.returncode, ANSI.sub("", result.stdout + result.stderr)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(spec-clean folder, askill folder), both built from this checkout into one dist/."""
    dist = tmp_path_factory.mktemp("dist")
    skill = load_skill(REPO)
    spec = build_dir(skill, dist)
    folder, problems = build_askill(skill, dist)
    assert problems == []
    return spec, folder


def project_with_mistake(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "jobs.py").write_text(MISTAKE)
    return root


def ours() -> tuple[str, str]:
    doc = load_skill(REPO).skill_md
    assert doc is not None and doc.frontmatter is not None
    return doc.frontmatter["description"], doc.frontmatter["metadata"]["version"]


def test_validate_passes_both_folders(built: tuple[Path, Path], tmp_path: Path) -> None:
    askill = Askill(tmp_path / "home")
    spec, target = built
    code, out = askill(target.parent.parent, "validate", "askill/dbos-python/SKILL.md")
    assert code == 0 and "Ready to publish!" in out, out
    code, out = askill(spec.parent, "validate", "dbos-python/SKILL.md")
    assert code == 0 and "✗" not in out and "description" not in out.split("Missing optional field: version")[0], out


def test_add_list_run_on_the_askill_folder(built: tuple[Path, Path], tmp_path: Path) -> None:
    askill = Askill(tmp_path / "home")
    project = project_with_mistake(tmp_path / "project")
    code, out = askill(project, "add", str(built[1]), "-a", "claude-code", "-y")
    assert code == 0, out
    installed = project / ".agents" / "skills" / "dbos-python"
    assert (installed / "references" / "sections.md").is_file() and (installed / "scripts" / "askill_run.py").is_file()
    assert (project / ".claude" / "skills" / "dbos-python").resolve() == installed.resolve()
    code, out = askill(project, "list", "--json")
    listed = json.loads(out)["skills"]
    description, version = ours()
    assert [(s["name"], s["description"], s["version"]) for s in listed] == [("dbos-python", description, version)]
    code, out = askill(project, "run", "dbos-python:lint", "--", "app/")
    assert code == 1 and "app/jobs.py:7:12: DBOS201" in out, out
    code, out = askill(project, "run", "dbos-python:rules")
    assert code == 0 and "DBOS201" in out, out
    code, out = askill(project, "run", "dbos-python:dbos-version")
    assert code == 0 and "dbos 3.4.0: the version every example" in out, out


def test_publish_checks_pass_on_the_askill_folder_only(built: tuple[Path, Path], tmp_path: Path) -> None:
    askill = Askill(tmp_path / "home")
    spec, target = built
    code, out = askill(target.parent.parent, "publish", "askill/dbos-python")
    assert code == 1 and "Not logged in" in out, out  # every local check passed; publishing needs `askill login`
    code, out = askill(spec.parent, "publish", "dbos-python")
    assert code == 1 and "must include frontmatter slug" in out, out


def test_spec_folder_installs_with_our_description(built: tuple[Path, Path], tmp_path: Path) -> None:
    askill = Askill(tmp_path / "home")
    project = project_with_mistake(tmp_path / "project")
    code, out = askill(project, "add", str(built[0]), "-a", "claude-code", "-y")
    assert code == 0, out
    code, out = askill(project, "list", "--json")
    listed = json.loads(out)["skills"]
    assert [(s["name"], s["description"], s["version"]) for s in listed] == [("dbos-python", ours()[0], None)]
