"""README.md's pre-commit recipes for users work as written: each YAML block that offers the `dbos-lint` hook is
the whole `.pre-commit-config.yaml` of a project holding a DBOS mistake, and pre-commit must report it.

The placeholders the README names are the only rewriting: `../dbos-python` (a clone of this repository next to the
project) and `FULL-COMMIT-HASH` (a commit of that clone).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parent.parent
MISTAKE = "from dbos import DBOS\nimport time\n\n\n@DBOS.workflow()\ndef stamp() -> float:\n    return time.time()\n"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def recipes() -> list[str]:
    tokens = MarkdownIt("commonmark").parse((REPO / "README.md").read_text("utf-8"))
    return [
        t.content for t in tokens if t.type == "fence" and t.info.strip() == "yaml" and "id: dbos-lint" in t.content
    ]


def git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """tmp/dbos-python (a clone of this repository) and tmp/project (a git project with a DBOS mistake)."""
    if not PRE_COMMIT.exists():
        pytest.fail(f"pre-commit is not installed in {PRE_COMMIT.parent}; run `make build`", pytrace=False)
    git(tmp_path, "clone", "--quiet", "--no-hardlinks", str(REPO), "dbos-python")
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "jobs.py").write_text(MISTAKE)
    shutil.copytree(
        REPO / "scripts",
        project / ".claude/skills/dbos-python/scripts",
        ignore=lambda *_: ["__pycache__", "skilltools"],
    )
    git(project, "init", "--quiet")
    return tmp_path


def run_recipe(workspace: Path, recipe: str) -> subprocess.CompletedProcess[str]:
    clone = workspace / "dbos-python"
    config = recipe.replace("FULL-COMMIT-HASH", git(clone, "rev-parse", "HEAD"))
    project = workspace / "project"
    (project / ".pre-commit-config.yaml").write_text(config)
    git(project, "add", "-A")
    env = {**os.environ, "HOME": str(workspace), "PRE_COMMIT_HOME": str(workspace / "cache")}
    command = [str(PRE_COMMIT), "run", "--all-files", "--color", "never"]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_readme_offers_a_local_and_a_clone_recipe() -> None:
    found = recipes()
    assert [("repo: local" in r, "repo: ../dbos-python" in r) for r in found] == [(True, False), (False, True)]


@pytest.mark.parametrize("index", [0, 1], ids=["repo-local", "repo-clone"])
def test_readme_pre_commit_recipe_finds_the_mistake(workspace: Path, index: int) -> None:
    result = run_recipe(workspace, recipes()[index])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/jobs.py:7:12: DBOS201" in result.stdout, result.stdout + result.stderr
