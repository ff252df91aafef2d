"""PostgreSQL: the text Subscriber Lookup searches inside, in a narrow table of
its own (`subscribers_searched_text`), kept in step with the subscribers by
triggers.

Each row holds a subscriber's id, partner, creation time (whole microseconds
since 1970) and one text: login email, first name, last name, Billing ID and
phone, upper-cased, separated by the unit separator (chr(31)), which no search
holds, and beside it the same text with its marks read as digits (`marks`).
One trigram index, over `marks`, answers a match inside any field, a text with
a mark in it included (pg_trgm breaks words at marks; read as digits, the
trigrams of `l.shea` are as rare as the text); an index of the partner's rows newest
first that carries the text answers "the newest rows that match" without
visiting a table row. On the subscriber table the same reads paid a visit to a
wide row for every match or row tested. See `csrtool.subscribers.searched_text`.
"""

from django.db import migrations

TABLE = "subscribers_searched_text"
SEPARATOR = "chr(31)"
MARKS = "'.@_+-'' '"
MARKS_AS = "'0123456'"


def _text(row: str) -> str:
    fields = [
        f"UPPER({row}.email_canonical::text)",
        f"UPPER({row}.first_name::text)",
        f"UPPER({row}.last_name::text)",
        f"UPPER({row}.billing_id::text)",
        f"UPPER({row}.phone::text)",
    ]
    return f" || {SEPARATOR} || ".join(fields)


def _micros(row: str) -> str:
    return f"(EXTRACT(EPOCH FROM {row}.created_at) * 1000000)::bigint"


FORWARD = [
    f"""CREATE TABLE {TABLE} (
        id bigint PRIMARY KEY,
        partner_id bigint NOT NULL,
        created_us bigint NOT NULL,
        text text NOT NULL,
        marks text GENERATED ALWAYS AS (TRANSLATE(text, {MARKS}, {MARKS_AS})) STORED
    )""",
    f"""CREATE FUNCTION {TABLE}_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {TABLE} (id, partner_id, created_us, text)
        VALUES (NEW.id, NEW.partner_id, {_micros("NEW")}, {_text("NEW")})
        ON CONFLICT (id) DO UPDATE SET partner_id = EXCLUDED.partner_id,
            created_us = EXCLUDED.created_us, text = EXCLUDED.text;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION {TABLE}_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {TABLE} WHERE id = OLD.id;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION {TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE {TABLE};
        RETURN NULL;
    END $$""",
    # A status change or a login never touches the table.
    f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON subscribers_subscriber
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_write()""",
    f"""CREATE TRIGGER {TABLE}_update AFTER UPDATE OF partner_id, created_at,
        email_canonical, first_name, last_name, billing_id, phone
        ON subscribers_subscriber FOR EACH ROW EXECUTE FUNCTION {TABLE}_write()""",
    f"""CREATE TRIGGER {TABLE}_delete AFTER DELETE ON subscribers_subscriber
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_delete()""",
    f"""CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON subscribers_subscriber
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_truncate()""",
    f"""INSERT INTO {TABLE} (id, partner_id, created_us, text)
        SELECT s.id, s.partner_id, {_micros("s")}, {_text("s")}
        FROM subscribers_subscriber s""",
    f"CREATE INDEX {TABLE}_trgm ON {TABLE} USING gin (marks gin_trgm_ops)",
    f"""CREATE INDEX {TABLE}_newest ON {TABLE}
        (partner_id, created_us DESC, id DESC) INCLUDE (text)""",
    f"ANALYZE {TABLE}",
]
BACKWARD = [
    f"DROP TRIGGER IF EXISTS {TABLE}_truncate ON subscribers_subscriber",
    f"DROP TRIGGER IF EXISTS {TABLE}_delete ON subscribers_subscriber",
    f"DROP TRIGGER IF EXISTS {TABLE}_update ON subscribers_subscriber",
    f"DROP TRIGGER IF EXISTS {TABLE}_insert ON subscribers_subscriber",
    f"DROP FUNCTION IF EXISTS {TABLE}_truncate()",
    f"DROP FUNCTION IF EXISTS {TABLE}_delete()",
    f"DROP FUNCTION IF EXISTS {TABLE}_write()",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0008_trigrams_across_marks")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
