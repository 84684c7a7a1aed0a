"""AGENTS.md and the distribution: reproducible, exactly the manifest's files, and valid once unpacked."""

from __future__ import annotations

import errno
import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from skilltools import build, load_skill
from skilltools.build import AGENTS_FILE, compile_agents
from skilltools.cli import main
from skilltools.validate import validate

REPO = Path(__file__).resolve().parent.parent


def build_zip(root: Path, out: Path) -> Path:
    assert main(["build", str(root), "--out", str(out)]) == 0
    [archive] = out.glob("*.zip")
    return archive


def test_two_builds_are_byte_identical(valid_skill: Path, tmp_path: Path) -> None:
    first = build_zip(valid_skill, tmp_path / "a").read_bytes()
    (valid_skill / "SKILL.md").touch()  # a newer mtime must not change the archive
    second = build_zip(valid_skill, tmp_path / "b").read_bytes()
    assert first == second


def test_zip_holds_exactly_the_manifest_files_under_the_skill_folder(valid_skill: Path, tmp_path: Path) -> None:
    (valid_skill / "notes.txt").write_text("not shipped")
    archive = build_zip(valid_skill, tmp_path / "dist")
    assert archive.name == "dbos-python-1.2.3.zip"
    with zipfile.ZipFile(archive) as opened:
        infos = opened.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert names == [
        "dbos-python/SKILL.md",
        "dbos-python/askill.yaml",
        "dbos-python/references/alpha-one.md",
        "dbos-python/references/sections.md",
    ]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}


def test_sha256_file_matches(valid_skill: Path, tmp_path: Path) -> None:
    archive = build_zip(valid_skill, tmp_path / "dist")
    digest, name = (archive.parent / (archive.name + ".sha256")).read_text().split()
    assert name == archive.name
    assert digest == hashlib.sha256(archive.read_bytes()).hexdigest()


def test_unpacked_zip_validates(valid_skill: Path, tmp_path: Path) -> None:
    archive = build_zip(valid_skill, tmp_path / "dist")
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "unpacked")
    assert validate(load_skill(tmp_path / "unpacked" / "dbos-python")) == []


def test_build_dir_writes_the_unpacked_folder(valid_skill: Path, tmp_path: Path) -> None:
    assert main(["build", str(valid_skill), "--out", str(tmp_path / "dist"), "--dir"]) == 0
    folder = tmp_path / "dist" / "dbos-python"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "SKILL.md",
        "askill.yaml",
        "references/alpha-one.md",
        "references/sections.md",
    ]
    assert main(["build", str(valid_skill), "--out", str(tmp_path / "dist"), "--dir"]) == 0  # replaces cleanly


def test_build_refuses_an_invalid_skill(valid_skill: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (valid_skill / "askill.yaml").read_text().replace('"1.2.3"', '"9.9.9"')
    (valid_skill / "askill.yaml").write_text(text)
    assert main(["build", str(valid_skill), "--out", str(tmp_path / "dist")]) == 1
    assert "SKL203" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists()


def test_build_validates_before_writing_anything(
    valid_skill: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid skill gets no AGENTS.md either (the old build wrote it first, minus the broken rule)."""
    edit = valid_skill / "references/alpha-one.md"
    edit.write_text(edit.read_text().replace("impact: CRITICAL", "impact: LOW"))
    before = sorted(p.relative_to(valid_skill) for p in valid_skill.rglob("*"))
    assert main(["build", str(valid_skill), "--out", str(tmp_path / "dist")]) == 1
    err = capsys.readouterr().err
    assert "SKL502" in err and "nothing was written" in err and "wrote AGENTS.md" not in err
    assert sorted(p.relative_to(valid_skill) for p in valid_skill.rglob("*")) == before
    assert not (valid_skill / AGENTS_FILE).exists() and not (tmp_path / "dist").exists()


@pytest.mark.parametrize("as_dir", [False, True])
def test_a_failing_write_is_one_error_line(
    valid_skill: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, as_dir: bool
) -> None:
    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "dist"))

    monkeypatch.setattr(os, "replace", full_disk)  # every output goes through write_atomic's os.replace
    monkeypatch.setattr(Path, "rename", full_disk)  # ... or build_dir's rename
    argv = ["build", str(valid_skill), "--out", str(tmp_path / "dist"), *(["--dir"] if as_dir else [])]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"error: No space left on device ({tmp_path / 'dist'})\n"


def test_cli_and_release_share_one_build_pipeline(
    valid_skill: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    real = build.build

    def spy(root: Path, out: Path, as_dir: bool = False, target: str = "spec") -> build.Built:
        calls.append(Path(root))
        return real(root, out, as_dir, target)

    monkeypatch.setattr(build, "build", spy)
    assert main(["build", str(valid_skill), "--out", str(tmp_path / "dist")]) == 0
    assert calls == [valid_skill]


def test_agents_md_lists_each_reference_in_one_line_under_its_category(valid_skill: Path) -> None:
    compiled = compile_agents(load_skill(valid_skill))
    assert "### 1. Alpha (CRITICAL)\n\n- [alpha-one](references/alpha-one.md): **Do the first thing.**" in compiled
    assert "```python" not in compiled  # the digest links the examples, it does not copy them


def test_checked_in_agents_md_is_fresh() -> None:
    skill = load_skill(REPO)
    assert (REPO / AGENTS_FILE).read_text("utf-8") == compile_agents(skill), "AGENTS.md is stale: run `make build`"


def test_real_skill_validates() -> None:
    problems = validate(load_skill(REPO))
    assert [str(p) for p in problems] == []


def test_agents_md_links_resolve() -> None:
    from skilltools.parse import parse_markdown

    doc = parse_markdown(AGENTS_FILE, (REPO / AGENTS_FILE).read_text("utf-8"))
    anchors = doc.anchors
    broken = [link.target for link in doc.links if link.target.startswith("#") and link.target[1:] not in anchors]
    relative = [
        link.target
        for link in doc.links
        if not link.target.startswith(("#", "http://", "https://")) and not (REPO / link.target.split("#")[0]).exists()
    ]
    assert (broken, relative) == ([], [])
