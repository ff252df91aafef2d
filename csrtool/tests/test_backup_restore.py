"""`csrtool backup` while accounts are being added, `csrtool restore` into an empty
database: the restored data is one consistent point in time, on both databases."""

import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import contextmanager

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from csrtool.audit.models import AuditEvent
from csrtool.onboarding.models import OutboundEmail
from csrtool.onboarding.tests.test_worker import ROOT, database_url
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import create_subscriber

SUBSCRIBERS = Subscriber._meta.db_table
EMAILS = OutboundEmail._meta.db_table
AUDIT = AuditEvent._meta.db_table
JOBS = DBTaskResult._meta.db_table
BUSY = "WHERE email LIKE 'busy%'"  # the accounts added during the backup


@contextmanager
def accounts_being_added(actor):
    """Add accounts one after another in another thread until the block ends."""
    stop, added = threading.Event(), []

    def keep_adding():
        try:
            while not stop.is_set():
                n = len(added)
                added.append(
                    create_subscriber(
                        actor=actor,
                        first_name="Busy",
                        last_name=f"Customer {n}",
                        email=f"busy{n}@customer.example",
                        phone="+12125550123",
                        billing_id=f"B-{n}",
                    )
                )
        finally:
            connection.close()

    writer = threading.Thread(target=keep_adding)
    writer.start()
    try:
        yield added
    finally:
        stop.set()
        writer.join(timeout=60)


def wait_for(condition, timeout=60.0):
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not condition():
            assert not deadline.wait(0.05), "timed out"
    finally:
        timer.cancel()


def csrtool(*arguments, database):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csrtool.testsettings",
        "CSRTOOL_DATABASE_URL": database,
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "csrtool", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@contextmanager
def empty_database(tmp_path):
    """A new, empty database of the kind under test: its URL and a DB-API cursor."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        return
    name = connection.settings_dict["NAME"] + "_restored"
    admin = database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
        pg.execute(f'CREATE DATABASE "{name}"')
    url = database_url().rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url, lambda: psycopg.connect(url)
    finally:
        with psycopg.connect(admin, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count(db, sql) -> int:
    with db() as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_during_writes_restores_one_consistent_point(
    cast, actor_of, tmp_path
):
    backup_file = tmp_path / "csrtool.backup"
    with accounts_being_added(actor_of(cast.bob)) as added:
        wait_for(lambda: len(added) >= 5)
        call_command("backup", str(backup_file))
        at_backup = len(added)
        wait_for(lambda: len(added) >= at_backup + 3)
    total = len(added)

    with empty_database(tmp_path) as (url, db):
        assert csrtool("restore", str(backup_file), database=url)[0] == 0

        restored = count(db, f"SELECT count(*) FROM {SUBSCRIBERS} {BUSY}")
        assert 5 <= restored < total
        # Every account came back with its audit row, its email and its job.
        assert (
            count(
                db,
                f"SELECT count(*) FROM {SUBSCRIBERS} s {BUSY} AND NOT EXISTS "
                f"(SELECT 1 FROM {AUDIT} a WHERE a.target_id = s.public_id "
                "AND a.action = 'subscriber.created')",
            )
            == 0
        )
        assert (
            count(
                db,
                f"SELECT count(*) FROM {SUBSCRIBERS} s {BUSY} AND NOT EXISTS "
                f"(SELECT 1 FROM {EMAILS} e WHERE e.subscriber_id = s.id)",
            )
            == 0
        )
        # ...and nothing of an account the backup does not hold.
        emails = count(db, f"SELECT count(*) FROM {EMAILS}")
        assert emails == restored
        assert count(db, f"SELECT count(*) FROM {JOBS}") == emails
        if connection.vendor == "sqlite":
            with db() as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        # A database that is not empty is replaced only when asked.
        code, output = csrtool("restore", str(backup_file), database=url)
        assert code == 1
        assert "The database is not empty" in output
        code, output = csrtool("restore", "--force", str(backup_file), database=url)
        assert code == 0, output
        assert count(db, f"SELECT count(*) FROM {SUBSCRIBERS} {BUSY}") == restored


@pytest.mark.django_db
def test_backup_refuses_to_overwrite_and_restore_refuses_a_foreign_file(tmp_path):
    existing = tmp_path / "taken"
    existing.write_text("keep me")
    with pytest.raises(CommandError, match="exists; choose another file"):
        call_command("backup", str(existing))
    assert existing.read_text() == "keep me"

    with pytest.raises(CommandError, match="is not a csrtool backup"):
        call_command("restore", str(existing))
