"""Where the data sets live between runs, and the fresh copy each run works on.

A data set is built once per database and size, and kept while its key holds:
the key covers every migration of the product and the benchmark's own data code,
so a schema change builds it again. Each run then works on a copy (the runs
write: new subscribers, assignments, imports), which also leaves the copy in the
page cache: the machine's page cache is not reliable, so the copy is read once
more (SQLite) or pre-read with pg_prewarm (PostgreSQL) before anything is timed.
"""

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import dataset, django_env

ROOT = django_env.ROOT
_SOURCES = ["bench/dataset.py", "bench/load.py", "bench/ceilings.py"]


def data_key(size_name: str) -> str:
    digest = hashlib.sha256(f"{size_name}:{dataset.SEED}".encode())
    files = sorted(ROOT.glob("csrtool/*/migrations/*.py"))
    files += [ROOT / name for name in _SOURCES]
    for file in files:
        digest.update(str(file.relative_to(ROOT)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _build(database_url: str, size_name: str, key: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--database-url",
            database_url,
            "--size",
            size_name,
            "--key",
            key,
        ],
        check=True,
        cwd=ROOT,
        env={**django_env.child_environment(database_url)},
    )


def _read_through(path: Path) -> None:
    with open(path, "rb") as file:
        while file.read(1 << 24):
            pass


class SQLiteStore:
    vendor = "sqlite"

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def prepare(self, size_name: str) -> tuple[str, float | None]:
        """A database URL of a fresh copy of the data set, and the seconds a
        build took (None when the cached one was used)."""
        key = data_key(size_name)
        cached = self.folder / f"sqlite-{size_name}-{key}.sqlite3"
        built = None
        if not cached.exists():
            for old in self.folder.glob(f"sqlite-{size_name}-*.sqlite3*"):
                old.unlink()
            partial = cached.with_suffix(".partial")
            for stale in self.folder.glob(partial.name + "*"):
                stale.unlink()
            started = time.perf_counter()
            _build(f"sqlite:///{partial}", size_name, key)
            partial.rename(cached)
            built = time.perf_counter() - started
        run = self.folder / f"run-sqlite-{size_name}.sqlite3"
        self.discard(f"sqlite:///{run}")
        shutil.copyfile(cached, run)
        _read_through(run)
        return f"sqlite:///{run}", built

    def discard(self, database_url: str) -> None:
        path = Path(urlsplit(database_url).path)
        for file in path.parent.glob(path.name + "*"):
            file.unlink()


class PostgresStore:
    vendor = "postgresql"

    def __init__(self, server_url: str, prefix: str = "bench_suite"):
        self.server_url = server_url
        self.prefix = prefix

    def _url(self, name: str) -> str:
        parts = urlsplit(self.server_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def _admin(self):
        import psycopg

        return psycopg.connect(self._url("postgres"), autocommit=True)

    def _stored_key(self, name: str) -> str | None:
        import psycopg

        try:
            with psycopg.connect(self._url(name)) as conn:
                return conn.execute("SELECT key FROM bench_dataset").fetchone()[0]
        except psycopg.Error:
            return None

    def prepare(self, size_name: str) -> tuple[str, float | None]:
        key = data_key(size_name)
        cached, run = f"{self.prefix}_{size_name}", f"{self.prefix}_{size_name}_run"
        built = None
        if self._stored_key(cached) != key:
            partial = f"{cached}_partial"
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{partial}"')
            started = time.perf_counter()
            _build(self._url(partial), size_name, key)
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{cached}" WITH (FORCE)')
                admin.execute(f'ALTER DATABASE "{partial}" RENAME TO "{cached}"')
            built = time.perf_counter() - started
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')
            admin.execute(
                f'CREATE DATABASE "{run}" TEMPLATE "{cached}" STRATEGY FILE_COPY'
            )
        self._prewarm(run)
        return self._url(run), built

    def _prewarm(self, name: str) -> None:
        """The run's copy as a server up for a while holds it: vacuumed, so its
        visibility map is set as autovacuum keeps it (index-only scans rely
        on it; the build's own VACUUM has been seen to leave it unset on
        every table but the first), then read into the server's buffers."""
        import psycopg

        with psycopg.connect(self._url(name), autocommit=True) as conn:
            conn.execute("VACUUM")
            # Its writes (the visibility map, the pages' flags) on disk now,
            # not during the timing.
            conn.execute("CHECKPOINT")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            conn.execute(
                "SELECT pg_prewarm(c.oid, 'read') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            )

    def discard(self, database_url: str) -> None:
        name = urlsplit(database_url).path.lstrip("/")
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_cache(self) -> None:
        with self._admin() as admin:
            names = admin.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [f"{self.prefix}\\_%"],
            ).fetchall()
            for (name,) in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
