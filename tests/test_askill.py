"""The askill channel without the askill CLI: our reimplementation of its reader, the askill rules, the askill
build target, the installed tree, and `askill run dbos-python:lint` through a stand-in that runs commands the way
askill does (shell, cwd = installed skill folder, ASKILL_* variables). tests/test_askill_cli.py repeats the
end-to-end part with the real client when ASKILL_CLI is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from skilltools import askill_reader as reader
from skilltools.askill_build import askill_skill_md, build_askill, check_target
from skilltools.askill_check import differences
from skilltools.build import build_dir, build_zip
from skilltools.cli import main
from skilltools.parse import load_skill, parse_markdown
from skilltools.validate import validate

REPO = Path(__file__).resolve().parent.parent
STAND_IN = Path(__file__).parent / "askill_stand_in.py"
MISTAKE = "from dbos import DBOS\nimport time\n\n\n@DBOS.workflow()\ndef stamp() -> float:\n    return time.time()\n"


def read(front: str) -> dict[str, object]:
    seen = reader.read_frontmatter(f"---\n{front}\n---\n# body\n")
    assert seen is not None
    return seen.values


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ("description: >-\n  folded\n  text", {"description": ">-"}),
        ("description: |\n  literal", {"description": "|"}),
        ("tags: [a, b]", {"tags": "[a, b]"}),
        ("tags:\n  - a\n  - 'b'", {"tags": ["a", "b"]}),
        ('name: "x"\nversion: 1.0.0', {"name": "x", "version": "1.0.0"}),
        ('description: "say \\"hi\\""', {"description": 'say \\"hi\\"'}),
        ("description: first\n  second line", {"description": "first"}),
        (
            "metadata:\n  version: '0.1.0'\n  nested:\n    deep: x",
            {"metadata": {"version": "0.1.0", "nested": "", "deep": "x"}},
        ),
        (
            "commands:\n  lint:\n    run: a b\n    description: 'd'\n    other: z",
            {"commands": {"lint": {"run": "a b", "description": "d"}}},
        ),
        ("# comment\nname: x # trailing", {"name": "x # trailing"}),
        ("author:\n  name: A\n  url: https://a.b", {"author": {"name": "A", "url": "https://a.b"}}),
    ],
)
def test_reader_reads_like_askill(front: str, expected: dict[str, object]) -> None:
    assert read(front) == expected


def test_reader_sees_no_frontmatter_after_a_bom_and_keeps_crlf_values_clean() -> None:
    assert reader.read_frontmatter("\ufeff---\nname: x\n---\n") is None
    seen = reader.read_frontmatter("---\r\nname: x\r\ntags:\r\n  - a\r\n---\r\n")
    assert seen is not None and seen.values == {"name": "x", "tags": ["a"]}


def test_reader_crashes_where_askill_throws() -> None:
    with pytest.raises(reader.ReaderCrash):
        read("commands:\n  a:\n    run: x\nname: n\ncommands:\n    run: y")


def test_installer_rules() -> None:
    dropped = ["references/_sections.md", "_x/a.md", "README.md", "a/README.md", "dist/a", "x/build/y", "metadata.json"]
    kept = ["references/sections.md", "SKILL.md", "scripts/dbos_lint.py", "build", "readme.md"]
    assert [rel for rel in dropped + kept if reader.install_skips(rel)] == dropped
    assert reader.install_name("DBOS Python!") == "dbos-python"


def test_our_skill_md_reads_the_same_in_askill_and_yaml() -> None:
    doc = load_skill(REPO).skill_md
    assert doc is not None and doc.frontmatter is not None
    assert differences((REPO / "SKILL.md").read_text(), doc.frontmatter, doc.key_lines) == []
    seen = reader.read_frontmatter((REPO / "SKILL.md").read_text())
    assert seen is not None and seen.values["description"] == doc.frontmatter["description"]
    assert len(doc.frontmatter["description"]) <= reader.MAX_DESCRIPTION


def test_the_old_folded_description_is_reported() -> None:
    text = (REPO / "SKILL.md").read_text()
    old = text.replace('description: "', "description: >-\n  ", 1).replace('work."\n', "work.\n", 1)
    doc = parse_markdown("SKILL.md", old)
    assert doc.frontmatter is not None and doc.frontmatter["description"].startswith("Build durable")
    problems = differences(old, doc.frontmatter, doc.key_lines)
    assert [(p.line, p.id) for p in problems] == [(3, "SKL801")]
    assert "'>-'" in problems[0].message and "block scalar" in problems[0].message


# --- the askill build target -------------------------------------------------------------------------------


def test_askill_target_has_askill_keys_and_the_spec_outputs_do_not(valid_skill: Path, tmp_path: Path) -> None:
    skill = load_skill(valid_skill)
    folder, problems = build_askill(skill, tmp_path / "out")
    assert problems == []
    assert folder == tmp_path / "out" / "askill" / "dbos-python"
    text = (folder / "SKILL.md").read_text()
    seen = reader.read_frontmatter(text)
    assert seen is not None
    assert {k: seen.values[k] for k in ("name", "slug", "version")} == {
        "name": "dbos-python",
        "slug": "dbos-python",
        "version": "1.2.3",
    }
    assert seen.values["commands"] == {"hello": {"run": "echo hello", "description": "Say hello"}}
    spec_dir = build_dir(skill, tmp_path / "spec")
    zip_path, _ = build_zip(skill, tmp_path / "zip")
    with zipfile.ZipFile(zip_path) as archive:
        zipped = archive.read("dbos-python/SKILL.md").decode()
    for spec_text in ((spec_dir / "SKILL.md").read_text(), zipped):
        assert "slug:" not in spec_text and "\nversion:" not in spec_text
        assert text == askill_skill_md(spec_text, skill.manifest.data if skill.manifest and skill.manifest.data else {})
    assert validate(load_skill(spec_dir)) == []


def test_askill_target_problems_are_reported(valid_skill: Path, tmp_path: Path) -> None:
    manifest = valid_skill / "askill.yaml"
    manifest.write_text(manifest.read_text().replace("slug: dbos-python", "slug: Dbos_Python"))
    folder, problems = build_askill(load_skill(valid_skill), tmp_path)
    assert [(p.path, p.id) for p in problems] == [("SKILL.md", "SKL803")]
    assert main(["validate", "--target", "askill", str(folder)]) == 1


def test_cli_builds_and_validates_the_askill_target(valid_skill: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(valid_skill), "--target", "askill"]) == 0
    folder = valid_skill / "dist" / "askill" / "dbos-python"
    assert capsys.readouterr().out.strip() == str(folder)
    assert main(["validate", "--target", "askill", str(folder)]) == 0
    data = load_skill(valid_skill).manifest
    assert data is not None and data.data is not None
    assert check_target(folder, data.data) == []


# --- the installed tree and `askill run` -------------------------------------------------------------------


def install_like_askill(source: Path, project: Path) -> Path:
    """Copy a built folder the way `askill add` does (skipping what it skips) to .agents/skills/<name>."""
    seen = reader.read_frontmatter((source / "SKILL.md").read_text())
    assert seen is not None
    target = project / ".agents" / "skills" / reader.install_name(str(seen.values["name"]))
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if path.is_file() and not reader.install_skips(rel):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / rel)
    return target


@pytest.fixture(scope="module")
def askill_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, problems = build_askill(load_skill(REPO), tmp_path_factory.mktemp("dist"))
    assert problems == []
    return folder


@pytest.fixture
def project(tmp_path: Path, askill_build: Path) -> Path:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "jobs.py").write_text(MISTAKE)
    install_like_askill(askill_build, project)
    return project


def test_installed_tree_is_complete_and_validates(project: Path, askill_build: Path) -> None:
    installed = project / ".agents" / "skills" / "dbos-python"
    shipped = sorted(p.relative_to(askill_build).as_posix() for p in askill_build.rglob("*") if p.is_file())
    assert sorted(p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()) == shipped
    assert "references/sections.md" in shipped
    manifest = load_skill(REPO).manifest
    assert manifest is not None and manifest.data is not None
    assert check_target(installed, manifest.data) == []
    rules = subprocess.run(
        [sys.executable, "scripts/askill_run.py", "rules"], cwd=installed, capture_output=True, text=True, check=True
    )
    assert "DBOS201" in rules.stdout and "references/workflow-determinism.md" in rules.stdout
    assert all((installed / line.split()[-1]).is_file() for line in rules.stdout.splitlines() if "references/" in line)


def stand_in(
    project: Path, *args: str, cwd: Path | None = None, path_first: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(project)}  # from a subfolder, the install is found as a global one
    if path_first is not None:
        env["PATH"] = f"{path_first}{os.pathsep}{env.get('PATH', '')}"
    command = [sys.executable, str(STAND_IN), *args]
    return subprocess.run(command, cwd=cwd or project, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc to find the caller's directory")
def test_askill_run_lint_resolves_relative_paths_from_the_callers_directory(project: Path) -> None:
    skill = project / ".agents" / "skills" / "dbos-python"
    (skill / "app").mkdir()
    (skill / "app" / "jobs.py").write_text("print('a clean file in the skill folder, the wrong tree')\n")
    result = stand_in(project, "run", "dbos-python:lint", "--", "app/")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("app/jobs.py:7:12: DBOS201"), result.stdout
    assert f"references named above are in {skill / 'references'}" in result.stderr
    nested = stand_in(project, "run", "dbos-python:lint", "--", "jobs.py", "--select", "DBOS2", cwd=project / "app")
    assert nested.returncode == 1 and nested.stdout.startswith("jobs.py:7:12: DBOS201"), nested.stderr
    default = stand_in(project, "run", "dbos-python:lint")
    assert default.returncode == 1 and "app/jobs.py:7:12: DBOS201" in default.stdout
    rules = stand_in(project, "run", "dbos-python:rules")
    assert rules.returncode == 0 and "DBOS201" in rules.stdout
    version = stand_in(project, "run", "dbos-python:dbos-version", path_first=Path(sys.executable).parent)
    assert version.returncode == 0 and version.stdout.startswith("dbos 3.4.0: the version"), version.stdout


@pytest.mark.parametrize(
    ("version", "code", "start"),
    [
        (None, 1, "dbos is not installed"),
        ("3.4.1", 0, "dbos 3.4.1: the version"),
        ("3.2.0", 1, "dbos 3.2.0: older 3.x"),
        ("2.31.1", 1, "dbos 2.31.1: 2.x"),
        ("4.0.0a1", 1, "dbos 4.0.0a1: newer"),
    ],
)
def test_dbos_version_advice(version: str | None, code: int, start: str) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import askill_run

    assert askill_run.dbos_version_advice(version)[0] == code
    assert askill_run.dbos_version_advice(version)[1].startswith(start)


@pytest.mark.parametrize("probe_name", ["ProcProbe", "PsProbe"])
def test_caller_dir_probes_find_the_askill_ancestor(tmp_path: Path, probe_name: str) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    import askill_run

    probe = getattr(askill_run, probe_name)()
    if not probe.available():
        pytest.fail(f"{probe_name} needs /proc, or ps and lsof, on the test machine", pytrace=False)
    env = {"ASKILL_SKILL_NAME": "dbos-python", "ASKILL_COMMAND": "lint"}
    sleeper = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"]
    pipe = subprocess.PIPE
    askill = subprocess.Popen([*sleeper, "run", "dbos-python:lint", "--", "app/"], cwd=tmp_path, stdout=pipe, text=True)
    other = subprocess.Popen([*sleeper, "run", "dbos-python:rules"], cwd=tmp_path, stdout=pipe, text=True)
    try:
        assert askill.stdout is not None and other.stdout is not None
        assert askill.stdout.readline() == other.stdout.readline() == "ready\n"
        assert askill_run.askill_caller_dir(env, askill.pid, probe) == tmp_path
        assert askill_run.askill_caller_dir(env, other.pid, probe) is None  # another command: not our caller
        assert probe.parent(askill.pid) == os.getpid()
    finally:
        for process in (askill, other):
            process.kill()
            process.wait()


def test_askill_run_lint_refuses_relative_paths_when_the_caller_is_unknown(project: Path) -> None:
    skill = project / ".agents" / "skills" / "dbos-python"
    (skill / "app").mkdir()
    (skill / "app" / "jobs.py").write_text("print('the wrong tree')\n")
    env = {**os.environ, "ASKILL_SKILL_DIR": str(skill), "ASKILL_SKILL_NAME": "dbos-python", "ASKILL_COMMAND": "lint"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "scripts/askill_run.py", "lint", *args]
        return subprocess.run(command, cwd=skill, env=env, capture_output=True, text=True, timeout=60)

    refused = run("app/")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "Pass absolute paths" in refused.stderr and '"$PWD/app"' in refused.stderr
    absolute = run(str(project / "app"))
    assert absolute.returncode == 1 and f"{project}/app/jobs.py:7:12: DBOS201" in absolute.stdout
