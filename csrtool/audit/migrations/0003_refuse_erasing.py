"""Audit events cannot be erased: DELETE on SQLite, TRUNCATE on PostgreSQL (whose
row trigger from 0002 already refuses UPDATE and DELETE).

The test runner empties every table between tests that commit (DELETE on SQLite,
TRUNCATE on PostgreSQL), so the refusal gives way on a connection that carries a
flag: a temporary table `audit_log_erasable` on SQLite, the setting
`csrtool.audit_log_erasable=on` on PostgreSQL. Only the test settings set it
(csrtool/testsettings.py); the product's settings never do.
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION audit_event_not_truncated() RETURNS trigger AS $$
BEGIN
    IF current_setting('csrtool.audit_log_erasable', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_not_truncated();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_not_truncated();
"""
# A trigger of the main schema cannot name a temporary table, but it can ask the
# table_info pragma whether one exists.
SQLITE_FORWARD = """
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
WHEN NOT EXISTS (SELECT 1 FROM pragma_table_info('audit_log_erasable', 'temp'))
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS audit_event_no_delete;"


def _run(statement_by_vendor: dict[str, str]):
    def run(apps, schema_editor):
        statement = statement_by_vendor.get(schema_editor.connection.vendor)
        if statement:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
