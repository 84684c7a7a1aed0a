"""PostgreSQL databases for example runs: one fresh database per run, cloned from a pre-migrated template.

Cloning (`CREATE DATABASE ... TEMPLATE`) skips DBOS's schema migrations, which are most of a PostgreSQL
launch. Programs whose DBOS settings change the schema itself get an empty database name instead, and DBOS
creates and migrates it as it would on a user's machine.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from . import owners
from .errors import SkillToolsError

SCHEMA_CHANGING = ("use_listen_notify", "dbos_system_schema", "sharding", "system_database_engine", "run_migrations")
"""Settings that make a pre-migrated template differ from what DBOS would create for the program."""


class PostgresUnavailable(SkillToolsError):
    """The configured server cannot be reached or used; the message says what to fix."""


@dataclass
class PostgresServer:
    admin_url: str
    prefix: str = field(default_factory=owners.database_prefix)
    """Every database of this check starts with it; it names the owning process (see owners.py)."""
    template: str | None = None

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        url = make_url(self.admin_url)
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise PostgresUnavailable(f"cannot connect to {url.render_as_string()}: {str(error).strip()}") from None

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    @property
    def uses_socket(self) -> bool:
        url = make_url(self.admin_url)
        host = url.query.get("host") or url.host or ""
        return str(host).startswith("/")

    def sweep_stale(self) -> list[str]:
        """Drop the databases of checkers that died without cleaning up; returns their names."""
        with self._connect() as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (r"skcheck\_%",))
            stale = [str(name) for (name,) in rows.fetchall() if owners.stale_database(str(name))]
            for name in stale:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        return stale

    def prepare_template(self) -> None:
        """Create the migrated template once per session."""
        name = f"{self.prefix}_template"
        with self._connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # dbos < 3.2 has no DBOS.migrate (the version matrix runs those too): then every run gets an empty
        # database and DBOS migrates it at launch, as on a user's machine (slower, same result).
        code = "import sys; from dbos import DBOS; sys.exit(3) if not hasattr(DBOS, 'migrate') else None; "
        code += "DBOS.migrate(sys.argv[1])"
        done = subprocess.run([sys.executable, "-c", code, self.url_for(name)], capture_output=True, text=True)
        if done.returncode == 3:
            return
        if done.returncode != 0:
            raise PostgresUnavailable(f"migrating the template database failed: {done.stderr.strip()[-500:]}")
        self.template = name

    def new_database(self, source: str) -> str:
        """A database name for one run: a clone of the template, or unused when the program shapes its schema."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        if self.template and not any(setting in source for setting in SCHEMA_CHANGING):
            with self._connect() as conn:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(self.template)
                    )
                )
        return name

    def drop_matching(self, prefix: str) -> None:
        """Drop every database whose name starts with prefix (the run's own and any it derived)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix.replace("_", r"\_") + "%",)
            )
            for (name,) in rows.fetchall():
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name))))

    def close(self) -> None:
        """Drop everything this session created, the template included."""
        self.drop_matching(self.prefix)
