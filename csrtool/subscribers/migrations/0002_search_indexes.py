"""Trigram indexes for Subscriber Lookup's search inside names, emails, Billing
IDs and phone numbers, and an index for one- and two-letter first names.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in sync by
triggers that fire on insert, delete and changes of the searched columns only (a
status change never touches the index). PostgreSQL: pg_trgm GIN indexes on the
very expressions the search compares (UPPER(…) for the case-insensitive columns),
so LIKE '%…%' is answered by them.
"""

from django.db import migrations, models

FTS = "subscribers_subscriber_fts"
COLUMNS = "email_canonical, first_name, last_name, billing_id, phone"
NEW = "new.id, new.email_canonical, new.first_name, new.last_name, new.billing_id, new.phone"
OLD = "old.id, old.email_canonical, old.first_name, old.last_name, old.billing_id, old.phone"

SQLITE_FORWARD = [
    f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
        {COLUMNS}, content='subscribers_subscriber', content_rowid='id',
        tokenize='trigram')""",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON subscribers_subscriber BEGIN
        INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES ({NEW});
    END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON subscribers_subscriber BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', {OLD});
    END""",
    f"""CREATE TRIGGER {FTS}_update
        AFTER UPDATE OF {COLUMNS} ON subscribers_subscriber BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', {OLD});
        INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES ({NEW});
    END""",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TABLE IF EXISTS {FTS}",
]
# (index name, indexed expression): exactly what the search's lookups compare.
POSTGRES_INDEXES = [
    ("subscriber_email_trgm", "email_canonical"),
    ("subscriber_first_name_trgm", "UPPER(first_name::text)"),
    ("subscriber_last_name_trgm", "UPPER(last_name::text)"),
    ("subscriber_billing_id_trgm", "UPPER(billing_id::text)"),
    ("subscriber_phone_trgm", "phone"),
]
POSTGRES_FORWARD = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX IF NOT EXISTS {name} ON subscribers_subscriber "
    f"USING gin (({expression}) gin_trgm_ops)"
    for name, expression in POSTGRES_INDEXES
]
POSTGRES_BACKWARD = [f"DROP INDEX IF EXISTS {name}" for name, _ in POSTGRES_INDEXES]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="subscriber",
            index=models.Index(
                fields=["partner", "first_name"], name="subscriber_first_name"
            ),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
