"""A test that skips when a hard dependency is missing can never fail in CI: it silently passes instead."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def hard_dependencies() -> set[str]:
    """Import names of the packages `pip install .` always installs (markers aside)."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    names = {
        re.split(r"[\s\[<>=;!~]", spec, maxsplit=1)[0] for spec in data["project"]["dependencies"] if ";" not in spec
    }
    return {name.lower().replace("-", "_") for name in names} | {"yaml", "markdown_it"}


def test_no_test_skips_on_a_hard_dependency() -> None:
    hard = hard_dependencies()
    assert {"dbos", "jsonschema"} <= hard
    found = []
    for path in sorted(REPO.glob("tests/**/*.py")) + sorted(REPO.glob("examples/**/*.py")):
        try:
            tree = ast.parse(path.read_text("utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue  # a fixture that is broken on purpose
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).split(".")[0] in hard
            ):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: importorskip({node.args[0].value!r})")
    assert found == [], "import hard dependencies directly:\n" + "\n".join(found)
