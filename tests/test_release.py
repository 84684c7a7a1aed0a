"""`skilltools release`: version bump in both places, dated changelog, reproducible build, commit and tag.

Each test releases a copy of the minimal valid skill (version 1.2.3) in its own git repository under tmp_path.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml
from checkout_copy import copy_checkout
from skilltools.cli import main
from skilltools.release import (
    ReleaseError,
    bump_manifest,
    bump_skill_md,
    date_changelog,
    semver_key,
    unreleased_notes,
)

REPO = Path(__file__).resolve().parent.parent
CHANGELOG = """# Changelog

Intro.

## [Unreleased]

### Added

- The first rule.

[Unreleased]: https://example.com/skill/commits/main
"""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repo(valid_skill: Path) -> Path:
    (valid_skill / "CHANGELOG.md").write_text(CHANGELOG)
    (valid_skill / ".gitignore").write_text("dist/\n")
    git(valid_skill, "init", "-q", "-b", "main")
    git(valid_skill, "config", "user.name", "Release Test")
    git(valid_skill, "config", "user.email", "release@example.com")
    git(valid_skill, "config", "commit.gpgsign", "false")
    git(valid_skill, "config", "tag.gpgsign", "false")
    git(valid_skill, "add", "-A")
    git(valid_skill, "commit", "-q", "-m", "initial")
    return valid_skill


def state(root: Path) -> tuple[dict[str, bytes], str, str]:
    files = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }
    return files, git(root, "rev-parse", "HEAD"), git(root, "tag", "--list")


def release(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["release", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- the whole command -----------------------------------------------------------------------------------


def test_dry_run_prints_every_step_and_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = state(repo)
    code, out, err = release(capsys, "1.3.0", str(repo), "--dry-run", "--date", "2025-01-02")
    assert (code, err) == (0, "")
    assert state(repo) == before
    lines = out.splitlines()
    assert lines[0] == "version: 1.2.3 -> 1.3.0"
    assert "git: work tree is clean" in lines
    expected_steps = [
        "[dry-run] would set askill.yaml version and SKILL.md metadata.version to 1.3.0",
        "[dry-run] would date CHANGELOG.md: '## [Unreleased]' -> '## [1.3.0] - 2025-01-02'",
        "[dry-run] would regenerate AGENTS.md; staged skill validates",
        "build twice: dbos-python-1.3.0.zip sha256 ",
        "[dry-run] would write AGENTS.md, CHANGELOG.md, SKILL.md, askill.yaml",
        f"[dry-run] would build {repo.resolve()}/dist/dbos-python-1.3.0.zip",
        "[dry-run] would git commit -m 'Release 1.3.0' -- AGENTS.md CHANGELOG.md SKILL.md askill.yaml",
        "[dry-run] would git tag -a v1.3.0",
        "then: git push origin HEAD v1.3.0",
    ]
    positions = [next(i for i, line in enumerate(lines) if line.startswith(step)) for step in expected_steps]
    assert positions == sorted(positions)


def test_release_bumps_builds_commits_and_tags(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_manifest = (repo / "askill.yaml").read_text()
    old_skill = (repo / "SKILL.md").read_text()
    code, out, err = release(capsys, "1.3.0", str(repo), "--date", "2025-01-02")
    assert (code, err) == (0, ""), out

    # Only the version lines changed, quoting kept.
    assert (repo / "askill.yaml").read_text() == old_manifest.replace('version: "1.2.3"', 'version: "1.3.0"')
    assert (repo / "SKILL.md").read_text() == old_skill.replace('  version: "1.2.3"', '  version: "1.3.0"')
    changelog = (repo / "CHANGELOG.md").read_text()
    assert "## [Unreleased]\n\n## [1.3.0] - 2025-01-02\n\n### Added\n\n- The first rule.\n" in changelog
    assert changelog.endswith(
        "[Unreleased]: https://example.com/skill/compare/v1.3.0...HEAD\n"
        "[1.3.0]: https://example.com/skill/releases/tag/v1.3.0\n"
    )
    assert "version 1.3.0" in (repo / "AGENTS.md").read_text()

    archive = repo / "dist" / "dbos-python-1.3.0.zip"
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (repo / "dist" / "dbos-python-1.3.0.zip.sha256").read_text() == f"{digest}  {archive.name}\n"
    assert f"build twice: dbos-python-1.3.0.zip sha256 {digest} (identical)" in out

    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s") == "Release 1.3.0"
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "AGENTS.md",
        "CHANGELOG.md",
        "SKILL.md",
        "askill.yaml",
    ]
    assert git(repo, "cat-file", "-t", "v1.3.0") == "tag"  # annotated
    assert git(repo, "rev-parse", "v1.3.0^{commit}") == git(repo, "rev-parse", "HEAD")
    message = git(repo, "tag", "-l", "--format=%(contents)", "v1.3.0")
    assert f"sha256 {digest}  dbos-python-1.3.0.zip" in message
    assert "- The first rule." in message


def test_second_release_links_compare_with_the_previous_tag(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(capsys, "1.3.0", str(repo), "--date", "2025-01-02")[0] == 0
    changelog = (
        (repo / "CHANGELOG.md")
        .read_text()
        .replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A typo.\n", 1)
    )
    (repo / "CHANGELOG.md").write_text(changelog)
    git(repo, "commit", "-q", "-am", "notes")
    assert release(capsys, "1.3.1", str(repo), "--date", "2025-02-03")[0] == 0
    text = (repo / "CHANGELOG.md").read_text()
    assert "[1.3.1]: https://example.com/skill/compare/v1.3.0...v1.3.1\n" in text
    assert "[1.3.0]: https://example.com/skill/releases/tag/v1.3.0\n" in text
    assert text.index("## [1.3.1] - 2025-02-03") < text.index("## [1.3.0] - 2025-01-02")


def test_refuses_a_dirty_work_tree_before_writing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "references" / "alpha-one.md").write_text((repo / "references" / "alpha-one.md").read_text() + "\n")
    (repo / "notes.txt").write_text("untracked\n")
    before = state(repo)
    code, out, err = release(capsys, "1.3.0", str(repo))
    assert code == 1
    assert "2 uncommitted change(s)" in err
    assert state(repo) == before

    # The dry-run still stages and builds, then says it would refuse.
    code, out, _ = release(capsys, "1.3.0", str(repo), "--dry-run")
    assert code == 1
    assert "[dry-run] REFUSE: the work tree has 2 uncommitted change(s)" in out
    assert "build twice: dbos-python-1.3.0.zip sha256 " in out
    assert out.splitlines()[-1] == "[dry-run] 1 problem(s) would stop this release"
    assert state(repo) == before


@pytest.mark.parametrize(
    ("version", "code", "line"),
    [
        ("1.2.2", 1, "[dry-run] REFUSE: version 1.2.2 is older than the current 1.2.3"),
        ("1.2.3", 0, "version: 1.2.3 (not tagged yet)"),
        ("1.3.0-rc.1", 0, "version: 1.2.3 -> 1.3.0-rc.1"),
    ],
)
def test_version_must_not_go_backwards(
    repo: Path, capsys: pytest.CaptureFixture[str], version: str, code: int, line: str
) -> None:
    result, out, _ = release(capsys, version, str(repo), "--dry-run")
    assert result == code
    assert line in out.splitlines()


def test_refuses_an_existing_tag_and_an_empty_changelog(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(repo, "tag", "-a", "v1.2.3", "-m", "old")
    code, _, err = release(capsys, "1.2.3", str(repo))
    assert code == 1 and "tag v1.2.3 already exists" in err
    (repo / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n## [1.2.3] - 2024-01-01\n\n- x\n")
    git(repo, "commit", "-q", "-am", "empty notes")
    code, _, err = release(capsys, "1.3.0", str(repo))
    assert code == 1 and "Unreleased section is empty" in err
    assert git(repo, "tag", "--list") == "v1.2.3"


def test_refuses_versions_that_disagree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "askill.yaml").write_text((repo / "askill.yaml").read_text().replace('"1.2.3"', '"1.2.4"'))
    git(repo, "commit", "-q", "-am", "drift")
    code, _, err = release(capsys, "1.3.0", str(repo), "--dry-run")
    assert code == 1
    assert "askill.yaml version '1.2.4' and SKILL.md metadata.version '1.2.3' differ" in err


def test_bad_version_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["release", "v1.3", str(repo)])
    assert exit_info.value.code == 2
    assert "not a semantic version" in capsys.readouterr().err


def test_outside_git_is_refused(valid_skill: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (valid_skill / "CHANGELOG.md").write_text(CHANGELOG)
    code, _, err = release(capsys, "1.3.0", str(valid_skill), "--dry-run")
    if code == 0:  # tmp_path happens to sit inside some git work tree; nothing to check then
        pytest.skip("tmp_path is inside a git work tree")
    assert "not inside a git work tree" in err


# --- the text edits --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('name: x\nversion: "1.0.0"\n', 'name: x\nversion: "1.1.0"\n'),
        ("version: '1.0.0'  # bump with skilltools release\n", "version: '1.1.0'  # bump with skilltools release\n"),
        ("version: 1.0.0\nother:\n  version: 1.0.0\n", "version: 1.1.0\nother:\n  version: 1.0.0\n"),
        ('version: "1.0.0"\r\nname: x\r\n', 'version: "1.1.0"\r\nname: x\r\n'),
    ],
)
def test_bump_manifest_keeps_formatting(before: str, after: str) -> None:
    assert bump_manifest(before, "1.0.0", "1.1.0") == after


def test_bump_manifest_needs_exactly_one_line() -> None:
    with pytest.raises(ReleaseError, match="found 0"):
        bump_manifest("version: 2.0.0\n", "1.0.0", "1.1.0")


def test_bump_skill_md_touches_only_metadata_version() -> None:
    text = '---\nname: x\nversion: "1.0.0"\nmetadata:\n  dbos: ">=3.4"\n  version: "1.0.0"\n---\n\n  version: "1.0.0"\n'
    assert bump_skill_md(text, "1.0.0", "2.0.0") == text.replace('  version: "1.0.0"\n---', '  version: "2.0.0"\n---')
    crlf = text.replace("\n", "\r\n")
    assert bump_skill_md(crlf, "1.0.0", "2.0.0") == bump_skill_md(text, "1.0.0", "2.0.0").replace("\n", "\r\n")
    with pytest.raises(ReleaseError, match="found 0"):
        bump_skill_md("# no frontmatter\n", "1.0.0", "2.0.0")


def test_date_changelog_adds_links_when_there_are_none() -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n- x\n\n## [0.9.0] - 2024-01-01\n\n- y\n"
    result = date_changelog(text, "1.0.0", "2025-01-01", "https://example.com/r/", "v0.9.0")
    assert result.startswith("# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2025-01-01\n\n- x\n\n## [0.9.0]")
    assert result.endswith(
        "[Unreleased]: https://example.com/r/compare/v1.0.0...HEAD\n"
        "[1.0.0]: https://example.com/r/compare/v0.9.0...v1.0.0\n"
    )
    assert unreleased_notes(text) == "- x"
    with pytest.raises(ReleaseError, match="already has a section"):
        date_changelog(text, "0.9.0", "2025-01-01", None, None)


def test_semver_precedence() -> None:
    ordered = [
        "0.9.9",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ]
    assert sorted(ordered, key=semver_key) == ordered
    with pytest.raises(ReleaseError):
        semver_key("1.0")


# --- this repository -------------------------------------------------------------------------------------


def test_repo_changelog_follows_keep_a_changelog() -> None:
    text = (REPO / "CHANGELOG.md").read_text("utf-8")
    assert text.startswith("# Changelog\n")
    assert "keepachangelog.com/en/1.1.0" in text
    assert unreleased_notes(text), "describe the coming release under ## [Unreleased]"
    for line in text.splitlines():
        if line.startswith("## "):
            assert line == "## [Unreleased]" or (line.startswith("## [") and " - " in line), line
        if line.startswith("### "):
            assert line[4:] in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, line


def test_dry_run_on_this_checkout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Releasing the next patch version of this skill must be possible: the dry-run passes. It runs on a clean
    copy of the checkout (uncommitted edits included), so it never depends on the state of the work tree."""
    copy = copy_checkout(tmp_path / "checkout")
    changelog = copy / "CHANGELOG.md"
    if not unreleased_notes(changelog.read_text("utf-8")):  # right after a release: give the next one a note
        note = "## [Unreleased]\n\n### Fixed\n\n- A fix.\n"
        changelog.write_text(changelog.read_text("utf-8").replace("## [Unreleased]\n", note, 1), "utf-8")
        git(copy, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "note")
    assert unreleased_notes(changelog.read_text("utf-8")), "CHANGELOG.md has no ## [Unreleased] section"
    current = yaml.safe_load((copy / "askill.yaml").read_text())["version"]
    major, minor, patch = (int(part) for part in current.split("-")[0].split("."))
    code, out, err = release(capsys, f"{major}.{minor}.{patch + 1}", str(copy), "--dry-run")
    assert code == 0, out + err
    assert "(identical)" in out


def test_the_release_builds_with_the_cli_pipeline(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from skilltools import build

    calls: list[str] = []
    real = build.build

    def spy(root: Path, out: Path, as_dir: bool = False, target: str = "spec") -> build.Built:
        calls.append("stage" if Path(root) != repo.resolve() else "checkout")
        return real(root, out, as_dir, target)

    monkeypatch.setattr(build, "build", spy)
    code, out, err = release(capsys, "1.3.0", str(repo), "--date", "2025-01-02")
    assert (code, err) == (0, ""), out
    assert calls == ["stage", "stage", "checkout"]  # twice staged (reproducible), once for real
