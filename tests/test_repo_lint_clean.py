"""Our own DBOS code must be lint-clean: every file of examples/ (Correct blocks are checked by the checker)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_examples_directory_is_lint_clean() -> None:
    files = sorted(str(p) for p in (REPO / "examples").rglob("*.py"))
    assert files, "examples/ has no Python files"
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dbos_lint.py"), *files], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr


def test_linter_runs_from_the_unpacked_skill_with_bare_python(tmp_path: Path) -> None:
    from skilltools.cli import main

    assert main(["build", str(REPO), "--out", str(tmp_path), "--dir"]) == 0
    linter = tmp_path / "dbos-python" / "scripts" / "dbos_lint.py"
    sample = tmp_path / "app.py"
    sample.write_text(
        "import random\nfrom dbos import DBOS\n\n@DBOS.workflow()\ndef wf() -> float:\n    return random.random()\n"
    )
    done = subprocess.run(["python3", "-I", str(linter), str(sample)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1
    assert f"{sample}:6:12: DBOS201" in done.stdout
