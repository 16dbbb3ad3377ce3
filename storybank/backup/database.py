"""Snapshot and restore a database: SQLite's online backup API, or pg_dump and pg_restore."""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url

from storybank.backup.engine import BackupError
from storybank.backup.engine import open_private

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
# Where PostgreSQL client programs live besides PATH (Debian/Ubuntu, RHEL, Homebrew).
CLIENT_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
)


def database_kind(url: str) -> str:
    """Return 'sqlite' or 'postgresql' for a SQLAlchemy URL."""
    backend = make_url(url).get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backing up a {backend} database is not supported.")
    return backend


def sqlite_path(url: str) -> Path:
    """Return the file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def snapshot_sqlite(url: str, target: Path) -> None:
    """Copy a live SQLite database consistently (the online backup API), 0600."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path} to back up.")
    open_private(target).close()
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # A rollback-journal file needs no -wal beside it to be whole.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()


def restore_sqlite(backup_file: Path, url: str) -> None:
    """Write the backed-up database over the instance's SQLite file, page by page."""
    target_path = sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    if not target_path.exists():
        os.close(os.open(target_path, os.O_WRONLY | os.O_CREAT, 0o600))
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{target_path}{suffix}")
        if path.exists():
            os.chmod(path, 0o600)


@dataclass(frozen=True)
class PostgresClient:
    """pg_dump and pg_restore of one major version."""

    folder: Path
    major: int

    @property
    def pg_dump(self) -> str:
        return str(self.folder / "pg_dump")

    @property
    def pg_restore(self) -> str:
        return str(self.folder / "pg_restore")


def _client_major(program: Path) -> int | None:
    try:
        output = subprocess.run(  # noqa: S603 - a found client program, fixed arguments
            [str(program), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", output) or re.search(r"(\d+)\.\d+", output)
    return int(match.group(1)) if match else None


def find_postgres_client(server_major: int) -> PostgresClient:
    """Find the newest pg_dump (with its pg_restore); refuse one older than the server."""
    folders = []
    on_path = shutil.which("pg_dump")
    if on_path:
        folders.append(Path(on_path).resolve().parent)
    for pattern in CLIENT_GLOBS:
        folders.extend(Path(found) for found in sorted(glob.glob(pattern)))
    clients = []
    for folder in dict.fromkeys(folders):
        if (folder / "pg_dump").is_file() and (folder / "pg_restore").is_file():
            major = _client_major(folder / "pg_dump")
            if major is not None:
                clients.append(PostgresClient(folder, major))
    if not clients:
        raise BackupError(
            "pg_dump was not found. Install the PostgreSQL client programs "
            f"(on Debian: apt-get install postgresql-client-{server_major}) and try again."
        )
    best = max(clients, key=lambda client: client.major)
    if best.major < server_major:
        raise BackupError(
            f"pg_dump {best.major} ({best.folder}) is older than the PostgreSQL {server_major} "
            f"server and cannot read it. Install postgresql-client-{server_major} or newer."
        )
    return best


def libpq_environment(url: str) -> dict[str, str]:
    """Return the environment that points libpq at the database (no password on the command
    line, where other users of the machine could read it)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    settings = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    env.update({name: str(value) for name, value in settings.items() if value})
    return env


def dump_postgres(client: PostgresClient, url: str, target: Path) -> None:
    """Write a custom-format pg_dump of the database to target, 0600."""
    with open_private(target) as out:
        result = subprocess.run(  # noqa: S603 - fixed arguments; the URL goes in PG* variables
            [client.pg_dump, "--format=custom", "--no-owner", "--no-privileges"],
            stdout=out,
            stderr=subprocess.PIPE,
            env=libpq_environment(url),
            check=False,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {_first_line(result.stderr)}")


def restore_postgres(client: PostgresClient, backup_file: Path, url: str, clean: bool) -> None:
    """pg_restore the dump in one transaction, so that a failure leaves the database as it was."""
    command = [
        client.pg_restore,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={make_url(url).database}",
    ]
    if clean:
        command += ["--clean", "--if-exists"]
    result = subprocess.run(  # noqa: S603 - fixed arguments and our own backup file
        [*command, str(backup_file)],
        capture_output=True,
        env=libpq_environment(url),
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was restored): {_first_line(result.stderr)}")


def _first_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[0] if lines else "no message"
