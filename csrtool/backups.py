"""Online backup and restore of the whole database, while the service keeps serving.

SQLite: the backup API copies a consistent snapshot (one read transaction) into a
new file, checked with `PRAGMA integrity_check` before it takes the file's name.
PostgreSQL: `pg_dump --format=custom`, which reads one snapshot too, and
`pg_restore` back. A backup restores only into the kind of database it came from.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection

from csrtool.errors import DomainError

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(DomainError):
    code = "backup_failed"


def backup(path: Path, *, force: bool = False) -> str:
    """Write a consistent copy of the database to `path`; returns its kind."""
    if path.exists() and not force:
        raise BackupError(f"{path} exists; choose another file or add --force.")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    if connection.vendor == "sqlite":
        _sqlite_backup(partial)
        kind = "sqlite"
    else:
        _pg_run("pg_dump", "--format=custom", "--no-owner", "--file", str(partial))
        kind = "postgresql"
    partial.replace(path)
    return kind


def restore(path: Path, *, force: bool = False) -> str:
    """Bring a backup back into the configured database, which must be empty
    unless `force`; returns its kind."""
    kind = backup_kind(path)
    target = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    if kind != target:
        raise BackupError(
            f"{path} is a {kind} backup; the configured database is {target}."
        )
    if not force and not database_is_empty():
        raise BackupError(
            "The database is not empty; restore into an empty one, or add --force "
            "to replace everything in it."
        )
    if kind == "sqlite":
        _sqlite_restore(path)
    else:
        options = ["--clean", "--if-exists"] if force else []
        _pg_run("pg_restore", "--no-owner", "--exit-on-error", *options, str(path))
    return kind


def backup_kind(path: Path) -> str:
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.startswith(PG_DUMP_HEADER):
        return "postgresql"
    raise BackupError(f"{path} is not a csrtool backup.")


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def check_sqlite_file(path: Path) -> None:
    with sqlite3.connect(path) as copy:
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"The copy failed its integrity check: {result}.")


def _sqlite_backup(destination: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(destination)
    try:
        # All pages in one step: one read transaction, so one point in time.
        connection.connection.backup(target)
    finally:
        target.close()
    check_sqlite_file(destination)


def _sqlite_restore(source: Path) -> None:
    check_sqlite_file(source)
    name = connection.settings_dict["NAME"]
    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{name}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as backup_db, sqlite3.connect(name) as target:
        backup_db.backup(target)
    check_sqlite_file(Path(name))


def _pg_run(program: str, *arguments: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed; install the PostgreSQL client "
            "(apt-get install postgresql-client) of the server's version or newer."
        )
    settings = connection.settings_dict
    env = {
        **os.environ,
        "PGHOST": settings["HOST"] or "",
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"] or "",
        "PGPASSWORD": settings["PASSWORD"] or "",
        "PGDATABASE": settings["NAME"],
    }
    target = ["--dbname", settings["NAME"]]
    done = subprocess.run(  # noqa: S603
        [executable, *arguments, *target],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {done.stderr.strip()[:500]}")
