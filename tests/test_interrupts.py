"""Signals sent to a real `skilltools check-examples` process: nothing it started survives, nothing leaks.

Ctrl-C (twice, quickly) ends every run at once and prints one line; SIGKILL of the checker takes its warm
server, supervisors and blocks with it (PR_SET_PDEATHSIG) without BrokenPipe noise, and the next checker
removes the temp folder and databases the killed one left, never those of a live process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from skilltools import owners
from skilltools.pgdb import PostgresServer

SLEEPER = """# sleeps until stopped

```python timeout=300
import os
import time

with open({mark!r}, "w") as handle:
    handle.write(str(os.getpid()))
time.sleep(300)
```
"""
QUICK = "# quick\n\n```python\nassert 1 + 1 == 2\n```\n"


def make_skill(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "skill"
    (root / "references").mkdir(parents=True)
    mark = tmp_path / "block.pid"
    (root / "references" / "fx-sleeper.md").write_text(SLEEPER.format(mark=str(mark)))
    (root / "references" / "fx-zz-quick.md").write_text(QUICK)
    return root, mark


def start_checker(root: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "skilltools.cli", "check-examples", str(root), "--jobs", "1", *args]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition: object, what: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {seconds}s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def block_and_supervisor(mark: Path) -> tuple[int, int]:
    wait_for(lambda: mark.exists() and mark.read_text().strip(), "the block to start")
    block = int(mark.read_text())
    stat = Path(f"/proc/{block}/stat").read_text()
    return block, int(stat[stat.rfind(")") + 2 :].split()[1])


@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_ctrl_c_twice_ends_every_run_and_says_what_was_interrupted(tmp_path: Path, mode: str) -> None:
    root, mark = make_skill(tmp_path)
    checker = start_checker(root, *(["--cold"] if mode == "cold" else []))
    block, supervisor = block_and_supervisor(mark)
    checker.send_signal(signal.SIGINT)
    time.sleep(0.05)
    checker.send_signal(signal.SIGINT)
    _, err = checker.communicate(timeout=60)
    assert checker.returncode == 130, err
    assert [line for line in err.splitlines() if line.strip()] == [
        "interrupted: stopped 1 running example(s) (references/fx-sleeper.md:3[sqlite]); 1 not started"
    ]
    assert not alive(block) and not alive(supervisor)


def test_killed_checker_takes_its_children_and_the_next_one_sweeps_its_leftovers(tmp_path: Path) -> None:
    url = os.environ.get("DBOS_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("set DBOS_TEST_POSTGRES_URL: leaked databases are part of this test")
    root, mark = make_skill(tmp_path)
    live_dir = Path(tempfile.mkdtemp(prefix=f"{owners.TEMP_PREFIX}{owners.me()}_"))  # a live owner: this test
    live_db = PostgresServer(url, prefix=f"{owners.DB_PREFIX}{owners.me()}_99")
    with live_db._connect() as conn:
        conn.execute(f'CREATE DATABASE "{live_db.prefix}_live"')
    checker = start_checker(root, "--db", "postgres", "-k", "sleeper")
    try:
        block, supervisor = block_and_supervisor(mark)
        leaked = [p for p in Path(tempfile.gettempdir()).glob(f"{owners.TEMP_PREFIX}{owners.HOST}_{checker.pid}_*")]
        assert len(leaked) == 1
        with live_db._connect() as conn:
            pattern = f"skcheck\\_{owners.HOST}\\_{checker.pid}\\_%"
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)).fetchall()
            leaked_dbs = {str(name) for (name,) in rows}
        assert leaked_dbs, "the checker's databases were not found"
        checker.kill()
        _, err = checker.communicate(timeout=60)
        wait_for(lambda: not alive(block) and not alive(supervisor), "the block to die with the checker", 15)
        assert "BrokenPipe" not in err and "Traceback" not in err, err
        assert leaked[0].exists(), "nothing leaked: the test proves nothing"

        after = subprocess.run(
            [sys.executable, "-m", "skilltools.cli", "check-examples", str(root), "--db", "postgres", "-k", "quick"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert after.returncode == 0, after.stderr
        assert "removed 1 temp folder(s) left by killed checkers" in after.stderr
        assert "database(s) left by killed checkers" in after.stderr
        assert not leaked[0].exists()
        with live_db._connect() as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)).fetchall()
        assert rows == [], "the killed checker's databases are still there"
        assert live_dir.exists(), "a live process's temp folder was removed"
        with live_db._connect() as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname LIKE %s", (live_db.prefix + "%",))
            assert found.fetchall(), "a live process's database was dropped"
    finally:
        if checker.poll() is None:
            checker.kill()
        live_db.close()
        live_dir.rmdir()
