"""Process and database helpers shared by the example apps' tests and benchmark.

Every spawned process leads its own process group, so a kill reaches its children too, and
``Processes.cleanup()`` kills every group still alive. Output goes to log files whose tails are
attached to failure messages.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

PYTHON = sys.executable
T = TypeVar("T")


class WaitFailed(AssertionError):
    """A condition was not reached in time, or a watched process died first."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _admin_engine(server_url: str) -> sa.Engine:
    url = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def create_database(server_url: str, prefix: str = "dbos_example") -> str:
    """Create a uniquely named database on the server and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(server_url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop the database, disconnecting whoever is still connected to it."""
    url = sa.make_url(database_url)
    admin = _admin_engine(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@dataclass
class Proc:
    """One spawned process, leader of its own process group."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    """Registry of spawned process groups. Call ``cleanup()`` in a ``finally``."""

    log_dir: Path
    spawned: list[Proc] = field(default_factory=list)

    def spawn(
        self,
        name: str,
        args: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str | None] | None = None,
    ) -> Proc:
        """Start ``args`` in a new session, logging to a file. An env value of None unsets it."""
        full_env = dict(os.environ)
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        full_env["PYTHONUNBUFFERED"] = "1"
        log = self.log_dir / f"{name}-{len(self.spawned)}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(args),
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(name, popen, log)
        self.spawned.append(proc)
        return proc

    def kill(self, proc: Proc) -> None:
        """SIGKILL the whole process group: no cleanup code runs, as in a power cut or OOM kill."""
        if proc.alive:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)

    def stop(self, proc: Proc, grace: float = 15.0) -> None:
        """SIGTERM the group for a graceful shutdown; SIGKILL it if still alive after ``grace``."""
        if proc.alive:
            os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=grace)
        self.kill(proc)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (pid {p.pid}, exit {p.popen.poll()}) ---\n{p.tail()}" for p in self.spawned)

    def wait_until(
        self,
        what: str,
        check: Callable[[], T | None],
        *,
        timeout: float = 30.0,
        interval: float = 0.1,
        watch: Sequence[Proc] = (),
    ) -> T:
        """Poll ``check`` until it returns something other than None or False. Raise WaitFailed with
        the process logs on timeout, or as soon as a watched process exits."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            for proc in watch:
                if not proc.alive:
                    raise WaitFailed(f"{proc.name} exited while waiting for {what}\n{self.logs()}")
            if time.monotonic() > deadline:
                raise WaitFailed(f"timed out after {timeout:.0f}s waiting for {what}\n{self.logs()}")
            time.sleep(interval)

    def cleanup(self) -> None:
        """Kill every process group still alive and reap it."""
        for proc in self.spawned:
            if proc.alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=10)
