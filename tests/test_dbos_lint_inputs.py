"""scripts/dbos_lint.py on hostile inputs: every one gives a clear message and exit code, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINTER = ROOT / "scripts" / "dbos_lint.py"
BAD = ROOT / "tests" / "fixtures" / "lint" / "DBOS201" / "bad_time.py"
sys.path.insert(0, str(LINTER.parent))

import dbos_lint  # noqa: E402


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(LINTER), *argv], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_memory_error_from_the_parser_is_a_finding() -> None:
    findings = dbos_lint.lint_source("x = " + "-" * 20_000 + "1\n", "deep.py")
    assert [(f.id, f.line) for f in findings] == [("DBOS001", 1)]
    assert "too large or too deeply nested" in findings[0].message


def test_recursion_error_from_the_parser_is_a_finding() -> None:
    findings = dbos_lint.lint_source("x = " + "+".join(["1"] * 150_000) + "\n", "sum.py")
    assert [f.id for f in findings] == ["DBOS001"]


def test_a_parser_crash_is_one_finding_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where the parser may crash (3.10), big files are parsed in a child first; a child killed by a
    signal makes a DBOS001, not a dead linter. Simulated here by a probe that segfaults itself."""
    monkeypatch.setattr(dbos_lint, "_PARSER_MAY_CRASH", True)
    monkeypatch.setattr(dbos_lint, "_PROBE_BYTES", 50)
    probe = "import os, signal, sys\nif sys.stdin.read().startswith('x = 1'):\n    os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(dbos_lint, "_PROBE", probe)
    crash = tmp_path / "crash.py"
    crash.write_text("x = 1\n" * 20)
    shutil.copy(BAD, tmp_path / "bad.py")
    code = dbos_lint.main(["--jobs", "1", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    crashed = [line for line in out.splitlines() if line.startswith(str(crash))]
    assert crashed and "DBOS001 the Python parser crashes on this file (signal 11)" in crashed[0]
    assert any(line.startswith(f"{tmp_path / 'bad.py'}:") and " DBOS201 " in line for line in out.splitlines())


def _python310() -> Path | None:
    """A working CPython 3.10 (a pyenv shim may exist and still refuse to run)."""
    candidates = [*Path("/root/.pyenv/versions").glob("3.10*/bin/python3.10"), shutil.which("python3.10")]
    for candidate in candidates:
        if candidate and subprocess.run([str(candidate), "-c", "pass"], capture_output=True).returncode == 0:
            return Path(candidate)
    return None


PY310 = _python310()


def test_python310_parser_segfault_is_survived(tmp_path: Path) -> None:
    """The real crash: CPython 3.10's parser segfaults on a 150,000-term sum."""
    if PY310 is None:
        pytest.skip("no python3.10 on this machine: the real 3.10 segfault cannot be reproduced here")
    (tmp_path / "sum.py").write_text("x = " + "+".join(["1"] * 150_000) + "\n")
    shutil.copy(BAD, tmp_path / "bad.py")
    done = subprocess.run(
        [str(PY310), str(LINTER), "--json", str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1, done.stderr
    found = {(Path(f["path"]).name, f["id"]) for f in json.loads(done.stdout)}
    assert ("sum.py", "DBOS001") in found and ("bad.py", "DBOS201") in found


def test_fifo_socket_and_device_are_skipped_with_a_note(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.py"))
    shutil.copy(BAD, tmp_path / "bad.py")
    try:
        done = cli(str(tmp_path), "/dev/null")
    finally:
        server.close()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    for name in (tmp_path / "pipe.py", tmp_path / "sock.py", "/dev/null"):
        assert f"dbos_lint: note: skipped {name}: not a regular file" in done.stderr
    assert f"{tmp_path / 'bad.py'}:" in done.stdout


def test_dangling_symlink_and_unreadable_file_are_findings_and_json_stays_valid(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    unreadable = tmp_path / "secret.py"
    unreadable.write_text("x = 1\n")
    unreadable.chmod(0)
    shutil.copy(BAD, tmp_path / "bad.py")
    done = cli("--json", str(tmp_path), str(tmp_path / "gone.py"))
    unreadable.chmod(0o600)
    assert done.returncode == 1, done.stderr
    found = json.loads(done.stdout)
    by_file = {(Path(f["path"]).name, f["id"]) for f in found}
    assert ("gone.py", "DBOS001") in by_file and ("bad.py", "DBOS201") in by_file
    gone = next(f for f in found if f["path"].endswith("gone.py"))
    assert gone["message"].startswith("cannot read file: No such file or directory")
    if os.geteuid() != 0:  # root reads a mode-000 file anyway
        assert ("secret.py", "DBOS001") in by_file


def test_unreadable_file_is_one_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.py"
    path.write_text("x = 1\n")

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    findings = dbos_lint.lint_file(path)
    assert [(f.id, f.message) for f in findings] == [("DBOS001", "cannot read file: Permission denied")]


def test_broken_pipe_is_quiet(tmp_path: Path) -> None:
    for i in range(200):
        shutil.copy(BAD, tmp_path / f"bad{i}.py")
    done = subprocess.run(
        f"{sys.executable} {LINTER} --jobs 1 {tmp_path} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == ""


def test_hidden_folder_named_explicitly_is_linted_and_an_empty_tree_says_so(tmp_path: Path) -> None:
    workers = tmp_path / "repo" / ".workers"
    workers.mkdir(parents=True)
    shutil.copy(BAD, workers / "app.py")
    done = cli(str(tmp_path / "repo"))
    assert done.returncode == 0
    assert done.stdout == ""
    assert "dbos_lint: note: no Python files under" in done.stderr
    assert "skipped hidden folders .workers: name them to lint them" in done.stderr
    done = cli(str(workers))
    assert done.returncode == 1
    assert f"{workers / 'app.py'}:" in done.stdout
    done = cli(".workers", cwd=tmp_path / "repo")
    assert done.returncode == 1
    assert done.stdout.startswith(".workers/app.py:")


def test_markdown_file_gets_a_clear_message(tmp_path: Path) -> None:
    notes = tmp_path / "README.md"
    notes.write_text("# Title\n\nRun `python app.py` and 1st see 2nd.\n")
    done = cli(str(notes))
    assert done.returncode == 1
    assert "README.md is a Markdown file" in done.stdout
    assert "pass .py files or folders" in done.stdout
    assert "invalid decimal literal" not in done.stdout.split("(", 1)[0]


def test_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    fixtures = ROOT / "tests" / "fixtures" / "lint"
    serial = dbos_lint.lint_paths([fixtures], jobs=1)
    parallel = dbos_lint._parallel(dbos_lint.lint_file, serial.files, 2)
    assert sorted(f for found in parallel for f in found) == serial.findings
