"""Shared helpers for the tooling tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def valid_skill(tmp_path: Path) -> Path:
    """A copy of the minimal valid skill in a folder named like the skill (dbos-python/)."""
    target = tmp_path / "dbos-python"
    shutil.copytree(FIXTURES / "skills" / "valid", target)
    return target
