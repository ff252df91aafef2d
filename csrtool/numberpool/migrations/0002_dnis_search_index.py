"""A trigram index over PhoneNumber.dnis for partial number search.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in sync by
triggers that fire on insert, delete and changes of dnis only (assigning a number
never touches the index). PostgreSQL: a pg_trgm GIN index answering LIKE '%…%'.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE numberpool_phonenumber_fts USING fts5(
        dnis, content='numberpool_phonenumber', content_rowid='id',
        tokenize='trigram')""",
    """CREATE TRIGGER numberpool_phonenumber_fts_insert
        AFTER INSERT ON numberpool_phonenumber BEGIN
        INSERT INTO numberpool_phonenumber_fts(rowid, dnis) VALUES (new.id, new.dnis);
    END""",
    """CREATE TRIGGER numberpool_phonenumber_fts_delete
        AFTER DELETE ON numberpool_phonenumber BEGIN
        INSERT INTO numberpool_phonenumber_fts(numberpool_phonenumber_fts, rowid, dnis)
            VALUES ('delete', old.id, old.dnis);
    END""",
    """CREATE TRIGGER numberpool_phonenumber_fts_update
        AFTER UPDATE OF dnis ON numberpool_phonenumber BEGIN
        INSERT INTO numberpool_phonenumber_fts(numberpool_phonenumber_fts, rowid, dnis)
            VALUES ('delete', old.id, old.dnis);
        INSERT INTO numberpool_phonenumber_fts(rowid, dnis) VALUES (new.id, new.dnis);
    END""",
    "INSERT INTO numberpool_phonenumber_fts(numberpool_phonenumber_fts) "
    "VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS numberpool_phonenumber_fts_update",
    "DROP TRIGGER IF EXISTS numberpool_phonenumber_fts_delete",
    "DROP TRIGGER IF EXISTS numberpool_phonenumber_fts_insert",
    "DROP TABLE IF EXISTS numberpool_phonenumber_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS numberpool_phonenumber_dnis_trgm "
    "ON numberpool_phonenumber USING gin (dnis gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS numberpool_phonenumber_dnis_trgm"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("numberpool", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
