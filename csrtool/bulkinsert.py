"""Rows written without Django's query compiler: many rows of one table at
once (one executemany; COPY on PostgreSQL), prepared column by column, and one
row with an INSERT built once per table.

Django's `bulk_create` sends every value of every row through the query
compiler (each checked for an expression, each field's conversion called on
its own); for a bulk import's thousands of rows that costs more than the
database's own work. `insert_many` picks one conversion per column, reuses it
for a run of equal date-times (a chunk's rows share their moment), and leaves
the rest to the driver. Like `bulk_create` it sends no signals; unlike it, it
takes plain values only (no expressions) and does not set the primary keys of
the instances it writes.
"""

from collections.abc import Callable, Sequence
from operator import attrgetter

from django.db import connections, models, router
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save

from csrtool.prepared import executed


def _as_is(value):
    return value


def _text(value):
    # A TextChoices member is a str whose driver adaptation may differ.
    return value if value is None or type(value) is str else str(value)


def _converter(field: models.Field, connection) -> Callable:
    if isinstance(field, models.DateTimeField):
        last = [None, None]

        def moment(value):
            if value is None or value != last[0]:
                last[0], last[1] = value, field.get_db_prep_save(value, connection)
            return last[1]

        return moment
    if type(field) in (models.CharField, models.TextField):
        return _text if field.choices else _as_is
    if isinstance(field, models.ForeignKey) or type(field) in (
        models.BooleanField,
        models.IntegerField,
        models.PositiveIntegerField,
        models.BigIntegerField,
    ):
        return _as_is
    return lambda value: field.get_db_prep_save(value, connection)


def _written_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, AutoFieldMixin))
    ]


# (model, database alias, vendor) -> its one-row INSERT and the fields it writes.
_INSERTS: dict = {}


def _one_row_insert(model: type[models.Model], connection) -> tuple[str, list]:
    meta = model._meta
    fields = _written_fields(model)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
        quote(meta.pk.column),
    )
    return sql, fields


def insert_one(obj: models.Model) -> None:
    """Write `obj`, a new instance whose primary key the database assigns, as
    `obj.save()` does (the field's values on save, the key set on `obj`,
    pre_save and post_save sent), with an INSERT built once per table where
    `save()` compiles one every time: for the rows every change writes beside
    itself (its audit event, its events), sent as a prepared query's
    statement is (`csrtool.prepared.executed`)."""
    if obj.pk is not None:
        raise ValueError(f"{obj!r} is not new: insert_one writes new rows only.")
    model = type(obj)
    using = router.db_for_write(model, instance=obj)
    connection = connections[using]
    key = (model, using, connection.vendor)
    insert = _INSERTS.get(key)
    if insert is None:
        insert = _INSERTS[key] = _one_row_insert(model, connection)
    pre_save.send(
        sender=model, instance=obj, raw=False, using=using, update_fields=None
    )
    sql, fields = insert
    values = [field.pre_save(obj, True) for field in fields]
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]
    with executed(connection, sql, params) as cursor:
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = using
    post_save.send(
        sender=model,
        instance=obj,
        created=True,
        update_fields=None,
        raw=False,
        using=using,
    )


def insert_many(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Write `objs` (new instances of `model`, primary keys unset) in one
    executemany, inside the caller's transaction."""
    if not objs:
        return
    meta = model._meta
    fields = _written_fields(model)
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ValueError(f"{field} sets its value on save: use bulk_create.")
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    values = attrgetter(*(field.attname for field in fields))
    converted = [
        (column, convert)
        for column, convert in enumerate(
            _converter(field, connection) for field in fields
        )
        if convert is not _as_is
    ]
    rows = []
    for obj in objs:
        row = list(values(obj))
        for column, convert in converted:
            row[column] = convert(row[column])
        rows.append(row)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream the server parses as it arrives, several times
            # faster than an INSERT per row (even pipelined), with the same
            # constraints, indexes and transaction.
            columns = ", ".join(quote(field.column) for field in fields)
            statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, rows)
