"""Fill a freshly migrated database with the benchmark data set, in bulk.

    python -m bench.load --database-url URL --size 100k --key KEY

The schema comes from the product's migrations; partners and staff from its
services. The big tables are then filled the way a restore would: each table's
secondary indexes are dropped and created again from their stored definitions
after the rows are in, and on SQLite the external-content FTS5 tables (the
trigram search indexes) have their sync triggers lifted during the load and are
filled with FTS5's own 'rebuild' afterwards. The result is the table, indexes
and search indexes the product's own writes would have left.
"""

import argparse
import itertools
import re
import secrets
import time

from bench import ceilings, dataset, django_env

KEY_TABLE = "bench_dataset"
BUILD_SETTINGS = {
    "sqlite": [
        "PRAGMA synchronous = OFF",
        "PRAGMA cache_size = -1000000",
        "PRAGMA temp_store = MEMORY",
    ],
    "postgresql": [
        "SET synchronous_commit = off",
        "SET maintenance_work_mem = '512MB'",
    ],
}
STAFF = {"csr": "csr@bench-main.example.com", "admin": "admin@bench-main.example.com"}


def _log(message: str) -> None:
    print(f"  {message}", flush=True)


def _constant_columns(model, given, connection):
    """The model's other columns, filled with their defaults (adapted once)."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        names.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return names, tuple(values)


def _adapter(model, columns, connection):
    """A function turning a generated row into driver values (SQLite stores
    datetimes as text; psycopg adapts them itself)."""
    if connection.vendor != "sqlite":
        return lambda row: row
    adapt = connection.ops.adapt_datetimefield_value
    positions = [
        i
        for i, name in enumerate(columns)
        if model._meta.get_field(name).get_internal_type() == "DateTimeField"
    ]

    def convert(row):
        row = list(row)
        for i in positions:
            if row[i] is not None:
                row[i] = adapt(row[i])
        return row

    return convert


def search_indexes(cursor, table) -> tuple[list[str], list[tuple[str, str]]]:
    """The external-content FTS5 tables over `table`, and the triggers (name,
    SQL) that keep them in sync with it."""
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' "
        "AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%' AND sql LIKE ?",
        [f"%content='{table}'%"],
    )
    fts = [name for (name,) in cursor.fetchall()]
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
        [table],
    )
    triggers = [
        (name, sql)
        for name, sql in cursor.fetchall()
        if any(re.search(rf"\b{index}\b", sql) for index in fts)
    ]
    return fts, triggers


class SQLiteTable:
    """Indexes and FTS5 sync triggers lifted for the load, put back after."""

    def __init__(self, cursor, table):
        self.cursor, self.table = cursor, table

    def __enter__(self):
        c, table = self.cursor, self.table
        c.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = ? AND sql IS NOT NULL",
            [table],
        )
        self.indexes = c.fetchall()
        self.fts, self.triggers = search_indexes(c, table)
        for name, _ in self.indexes:
            c.execute(f'DROP INDEX "{name}"')
        for name, _ in self.triggers:
            c.execute(f'DROP TRIGGER "{name}"')
        return self

    def __exit__(self, *exc):
        c = self.cursor
        for _, sql in self.indexes + self.triggers:
            c.execute(sql)
        for fts in self.fts:
            # FTS5's supported way to fill an external-content index.
            c.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')


def _load_sqlite(connection, model, columns, rows):
    table = model._meta.db_table
    extra, constants = _constant_columns(model, columns, connection)
    convert = _adapter(model, columns, connection)
    names = [model._meta.get_field(name).column for name in columns] + extra
    sql = (
        f'INSERT INTO "{table}" ({", ".join(names)}) '
        f"VALUES ({', '.join(['?'] * len(names))})"
    )
    raw = connection.connection
    cursor = raw.cursor()
    count = 0
    cursor.execute("BEGIN")
    with SQLiteTable(cursor, table):
        batch = []
        for row in rows:
            batch.append((*convert(row), *constants))
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.execute("COMMIT")
    return count


def _load_postgres(connection, model, columns, rows):
    table = model._meta.db_table
    extra, constants = _constant_columns(model, columns, connection)
    names = [model._meta.get_field(name).column for name in columns] + extra
    raw = connection.connection
    count = 0
    with raw.transaction(), raw.cursor() as cursor:
        # Django's foreign keys are deferred; checked per row, they leave no
        # pending events in the way of the CREATE INDEX below.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        with cursor.copy(f'COPY "{table}" ({", ".join(names)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row((*row, *constants))
                count += 1
        for _, definition in indexes:
            cursor.execute(definition)
    return count


def _people(size_name):
    """Partners and staff through the product's services; returns partner ids."""
    from csrtool.partners.access import cli_actor
    from csrtool.partners.models import Role
    from csrtool.partners.services import create_partner, create_staff

    operator = cli_actor()
    ids = {}
    for slug in (dataset.MAIN, *dataset.OTHERS):
        partner = create_partner(
            actor=operator,
            name=f"{slug.replace('-', ' ').title()} ({size_name})",
            slug=slug,
            time_zone=dataset.TIME_ZONE,
        )
        ids[slug] = partner.pk
        if slug == dataset.MAIN:
            # A password of its own (the measurement sets the one it uses), so
            # that no invitation email is queued.
            staff = ((STAFF["csr"], Role.CSR), (STAFF["admin"], Role.PARTNER_ADMIN))
            for email, role in staff:
                create_staff(
                    actor=operator,
                    partner=partner,
                    email=email,
                    role=role,
                    password=secrets.token_urlsafe(24),
                )
    return ids


def check_sample(layout, ids) -> None:
    """The generated values are what the product would store: its own cleaning
    of a sample gives them back unchanged."""
    from csrtool import validation

    columns = dataset.SUBSCRIBER_COLUMNS
    for row in itertools.islice(dataset.subscribers(layout, ids), 300):
        values = dict(zip(columns, row, strict=True))
        cleaned = validation.clean_email(values["email"])
        if cleaned != (values["email"], values["email_canonical"]):
            raise RuntimeError(f"the product stores {values['email']} as {cleaned}")
        if validation.clean_phone(values["phone"], region="US") != values["phone"]:
            raise RuntimeError(f"the product does not store {values['phone']} as is")


def build(size_name: str, key: str) -> None:
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from csrtool.audit.models import AuditEvent
    from csrtool.features.models import Feature, SubscriberFeature
    from csrtool.numberpool.models import NumberAssignment, PhoneNumber
    from csrtool.subscribers import searched_text
    from csrtool.subscribers.models import Subscriber

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    layout = dataset.Layout(dataset.SIZES[size_name])
    ids = _people(size_name)
    check_sample(layout, ids)
    features = sorted(Feature.objects.active().values_list("pk", flat=True))
    connection.ensure_connection()
    load = _load_sqlite if connection.vendor == "sqlite" else _load_postgres
    with connection.cursor() as cursor:
        # A scratch database made once: a crash means building it again, so
        # it may skip waiting for the disk and sort its indexes in memory.
        for statement in BUILD_SETTINGS[connection.vendor]:
            cursor.execute(statement)
    history: list = []
    emails: list = [None]  # by row id
    dialled: list = [None]  # by row id
    steps = [
        (
            Subscriber,
            dataset.SUBSCRIBER_COLUMNS,
            dataset.subscribers(layout, ids, emails),
        ),
        (
            PhoneNumber,
            dataset.NUMBER_COLUMNS,
            dataset.numbers(layout, ids, history, dialled),
        ),
        (NumberAssignment, dataset.ASSIGNMENT_COLUMNS, history),
        (
            SubscriberFeature,
            dataset.FEATURE_COLUMNS,
            dataset.features(layout, features),
        ),
        (
            AuditEvent,
            dataset.AUDIT_COLUMNS,
            dataset.audit_events(layout, ids, emails, dialled),
        ),
    ]
    for model, columns, rows in steps:
        t0 = time.perf_counter()
        count = load(connection, model, columns, rows)
        _log(
            f"{model._meta.db_table}: {count:,} rows in "
            f"{time.perf_counter() - t0:.1f} s"
        )
    t0 = time.perf_counter()
    ceilings.build(connection)
    _log(f"ceiling indexes in {time.perf_counter() - t0:.1f} s")
    models = [Subscriber, PhoneNumber, NumberAssignment, SubscriberFeature, AuditEvent]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
        cursor.execute(f"CREATE TABLE {KEY_TABLE} (key varchar(64))")
        cursor.execute(f"INSERT INTO {KEY_TABLE} VALUES (%s)", [key])
    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        # What autovacuum does to freshly loaded tables, done now so every run
        # starts from the same statistics and visibility map.
        connection.connection.autocommit = True
        tables = [model._meta.db_table for model in models]
        # The text lookups search inside, written by the subscribers' triggers.
        tables.append(searched_text.TABLE)
        with connection.connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f'VACUUM ANALYZE "{table}"')
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _log(f"vacuum and checkpoint in {time.perf_counter() - t0:.1f} s")
    _log(f"built in {time.perf_counter() - started:.0f} s")


def stored_key(connection) -> str | None:
    """The key a built database was made for, or None when it is not one."""
    with connection.cursor() as cursor:
        try:
            cursor.execute(f"SELECT key FROM {KEY_TABLE}")
        except Exception:
            return None
        row = cursor.fetchone()
    return row[0] if row else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--size", choices=dataset.SIZES, required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    django_env.setup(args.database_url)
    build(args.size, args.key)


if __name__ == "__main__":
    main()
