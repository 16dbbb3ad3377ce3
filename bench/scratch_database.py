"""A database of a benchmark's own, made for one run and removed after it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def scratch_database(root: Path, kind: str, prefix: str = "storybank_bench") -> Iterator[str]:
    """Yield a database URL: a SQLite file under `root`, or (kind "postgresql") a new
    database on the server STORYBANK_DATABASE_URL names, created here and dropped afterwards.
    The database that URL names is never touched."""
    if kind == "sqlite":
        yield f"sqlite:///{root / 'bench.sqlite3'}"
        return
    given = os.environ.get("STORYBANK_DATABASE_URL", "")
    if not given.startswith("postgresql"):
        raise SystemExit("Set STORYBANK_DATABASE_URL to a PostgreSQL server to bench it.")
    server = make_url(given.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
