"""SQLite runs: a system database migrated once per check, copied into each run's folder under the name DBOS
will open, so `DBOS.launch()` finds it current and skips its migrations (the biggest part of a launch).

DBOS's default SQLite file is `<app name>.sqlite` in the working directory (dashes and spaces become
underscores, lower case). The copy is made only when the program names exactly one app and shapes no schema;
otherwise DBOS creates and migrates its file itself, as on a user's machine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from .pgdb import SCHEMA_CHANGING

APP_NAME = re.compile(r"""["']name["']\s*:\s*["']([^"'\n]+)["']""")
MIGRATE = "import sys; from dbos import DBOS; DBOS.migrate(sys.argv[1])"


def default_file(source: str) -> str | None:
    """The file DBOS opens for the program's one app on SQLite, or None when that is not certain."""
    if any(setting in source for setting in SCHEMA_CHANGING) or "system_database_engine" in source:
        return None
    names = set(APP_NAME.findall(source))
    if len(names) != 1:
        return None
    name = names.pop().replace("-", "_").replace(" ", "_").lower()
    return f"_{name}.sqlite" if name[:1].isdigit() else f"{name}.sqlite"


class SqliteTemplate:
    """A migrated system database in `folder`, made in the background while the executor starts. When
    migrating fails, runs simply do not get a copy (DBOS then migrates, as without a template)."""

    def __init__(self, folder: Path) -> None:
        self._path = folder / "template.sqlite"
        cmd = [sys.executable, "-c", MIGRATE, f"sqlite:///{self._path}"]
        self._process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._lock = threading.Lock()
        self._ok: bool | None = None

    def ready(self) -> bool:
        with self._lock:
            if self._ok is None:
                _, err = self._process.communicate()
                self._ok = self._process.returncode == 0 and self._path.exists()
                self.error = None if self._ok else err.decode(errors="replace").strip()[-300:]
            return self._ok

    def place(self, source: str, work: Path) -> None:
        name = default_file(source)
        if name and self.ready():
            shutil.copyfile(self._path, work / name)

    def close(self) -> None:
        with self._lock:
            if self._ok is None:
                self._process.kill()
                self._process.communicate()
                self._ok = False
