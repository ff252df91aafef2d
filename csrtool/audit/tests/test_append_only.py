"""Audit events are append-only: the application refuses to change or erase one,
and so does the database, for anyone who reaches it with SQL through the app's
own connection.

Test connections carry a flag that lets the test runner empty the table between
tests (see audit migration 0003); each check here takes it away first, inside a
transaction that is rolled back, so what it sees is what production sees.
"""

import json
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.db import DatabaseError, connection, transaction

from csrtool.audit.models import AuditEvent
from csrtool.audit.services import record

REFUSED = "audit events are append-only"


def without_the_test_runners_flag(cursor) -> None:
    if connection.vendor == "sqlite":
        cursor.execute("DROP TABLE temp.audit_log_erasable")
    else:
        cursor.execute("SET LOCAL csrtool.audit_log_erasable TO off")


def refusal(sql: str, params=()) -> str:
    """Run `sql` as production would; the database's refusal, or fail."""
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        without_the_test_runners_flag(cursor)
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.fixture
def event(cast, actor_of):
    return record(actor=actor_of(cast.bob), action="x.y", target=cast.sam)


def test_the_application_refuses_to_change_or_delete_an_event(event):
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
        "UPDATE audit_auditevent SET before = NULL, after = NULL",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_to_change_or_erase_an_event(event, sql):
    params = [event.pk] if "%s" in sql else []
    assert REFUSED in refusal(sql, params)
    kept = AuditEvent.objects.get(pk=event.pk)
    assert (kept.action, kept.target_id) == ("x.y", event.target_id)


def test_the_orm_cannot_update_or_delete_events_in_bulk(event):
    for write in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="forged"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
            with connection.cursor() as cursor:
                without_the_test_runners_flag(cursor)
            write()
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


# Committed rows: TRUNCATE refuses to run beside the test transaction's pending
# foreign-key checks before any trigger could.
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_to_truncate_the_log(event):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is checked above")
    assert REFUSED in refusal("TRUNCATE audit_auditevent")
    assert REFUSED in refusal("TRUNCATE partners_partner CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


PRODUCTION_ATTEMPT = """
import json, django
django.setup()
from django.db import DatabaseError, connection, transaction
answers = {}
for sql in json.loads(input()):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
        answers[sql] = "done"
    except DatabaseError as error:
        answers[sql] = str(error).splitlines()[0]
print(json.dumps(answers))
"""


def database_url() -> str:
    """The URL of the test database, as CSRTOOL_DATABASE_URL would give it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    login = quote(db["USER"] or "")
    if db["PASSWORD"]:
        login += ":" + quote(db["PASSWORD"])
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{login}@{db['HOST']}{port}/{quote(db['NAME'])}"


@pytest.mark.django_db(transaction=True)
def test_the_products_settings_carry_no_way_around_it(cast, actor_of, tmp_path):
    event = record(actor=actor_of(cast.bob), action="x.y", target=cast.sam)
    statements = [
        "UPDATE audit_auditevent SET action = 'forged'",
        "DELETE FROM audit_auditevent",
    ]
    if connection.vendor == "postgresql":
        statements.append("TRUNCATE audit_auditevent")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSRTOOL_")}
    env.update(
        DJANGO_SETTINGS_MODULE="csrtool.settings",
        CSRTOOL_SECRET_KEY="s" * 50,
        CSRTOOL_DATA_DIR=str(tmp_path),
        CSRTOOL_DATABASE_URL=database_url(),
    )

    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PRODUCTION_ATTEMPT],
        input=json.dumps(statements),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == dict.fromkeys(statements, REFUSED)
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"
