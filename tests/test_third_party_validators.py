"""The spec-clean outputs pass the Agent Skills reference validator (skills-ref, `agentskills validate`), and the
askill copy is for askill only: skills-ref rejects exactly the askill keys it carries at top level.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from skilltools import load_skill
from skilltools.askill_build import build_askill
from skilltools.build import build_dir, build_zip

REPO = Path(__file__).resolve().parent.parent


def test_zip_and_folder_pass_skills_ref_and_the_askill_copy_does_not(tmp_path: Path) -> None:
    try:
        from skills_ref.validator import validate as skills_ref_validate  # type: ignore[import-untyped]
    except ImportError:
        pytest.fail("skills-ref is not installed in this virtualenv; run `make build`", pytrace=False)
    skill = load_skill(REPO)
    archive, _ = build_zip(skill, tmp_path / "zip")
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "unzipped")
    assert skills_ref_validate(tmp_path / "unzipped" / "dbos-python") == []
    assert skills_ref_validate(build_dir(skill, tmp_path / "dist")) == []
    folder, problems = build_askill(skill, tmp_path / "dist")
    assert problems == []
    errors = skills_ref_validate(folder)
    assert len(errors) == 1 and "Unexpected fields" in errors[0]
    assert all(key in errors[0] for key in ("slug", "version", "tags", "commands"))
