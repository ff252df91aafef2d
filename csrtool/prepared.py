"""Querysets compiled once and run again with new values.

Django builds and compiles a queryset's SQL on every call: on the lookups a CSR
or a partner's system makes on every call, that is most of the time they take,
far more than the database's. A `Prepared` query is built once per shape from a
function of its values alone, with a stand-in for each value; its SQL is kept,
and each call runs it with the values in the stand-ins' places and turns the
rows into model instances as the queryset would have.

`PreparedUpdate` does the same for an UPDATE (a number changing hands).
`update_apart` and `rows_apart` compile on every call but send the values
apart from the SQL, for statements whose values are as large as a file.

The build function must take every value that differs between calls as an
argument (the partner above all): anything else it reads is compiled into the
SQL for good. A value the compiled query does not carry as it was given (a
`LIKE` pattern made of it other than "contains" or "ends with", say) is
refused when the shape is first prepared.
"""

import contextlib
import functools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import sql
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class _Params:
    # For each parameter of the SQL: the index of the value that goes there,
    # or None for a constant kept in `constants`.
    slots: tuple
    constants: tuple
    # For each parameter: None, or what the SQL carries of the value: a
    # date-time as the query compiler writes it for the database, the `LIKE`
    # pattern of `contains` or `endswith` made of a text, a text as an FTS5
    # phrase, a list of ids as JSON.
    adapters: tuple

    def of(self, values) -> list:
        return [
            self.constants[n]
            if slot is None
            else (values[slot] if adapt is None else adapt(values[slot]))
            for n, (slot, adapt) in enumerate(
                zip(self.slots, self.adapters, strict=True)
            )
        ]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: _Params
    model: type
    init_list: list
    start: int
    end: int
    populators: list
    converters: dict
    # Annotation name -> its column in the row.
    annotations: dict


# Stand-ins: strings no one types, ids no row holds (alone or in a list),
# moments in the year 2.
_MARK = "\x1fprepared value "
_ID_FLOOR = -(2**62)
_MOMENT = datetime(2, 2, 2, tzinfo=UTC)
_MOMENT_TEXT = "0002-"


def _stand_in(n: int, value):
    if isinstance(value, list):
        # A list of ids, bound as one value: an array (PostgreSQL's
        # `= ANY(%s)`) or a JSON text (SQLite's `json_each(%s)`).
        if not all(type(item) is int for item in value):
            raise TypeError(f"a prepared query takes lists of ids: {value!r}")
        return [_ID_FLOOR - n]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"a prepared query takes aware date-times: {value!r}")
        return _MOMENT + timedelta(microseconds=n)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(
            f"a prepared query takes strings, integers and date-times: {value!r}"
        )
    if isinstance(value, str):
        return f"{_MARK}{n}\x1f"
    return _ID_FLOOR - n


# Shapes kept per query at most; past that, a new shape is compiled each call.
SHAPES = 256


def _cursor(connection):
    """PostgreSQL: a cursor that sends the values apart from the SQL, so that
    the server plans the statement once per connection (psycopg prepares it
    from its fifth run, when the connection's `prepare_threshold` allows), where
    Django's own cursor quotes the values into the text, which the server then
    parses and plans on every call."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.validate_thread_sharing()
    connection.ensure_connection()
    cursor = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedApart(cursor, connection)
    return connection.make_cursor(cursor)


class _LoggedApart(CursorDebugWrapper):
    """Where queries are logged (tests, debugging tools): a statement sent
    apart from its values logged with them quoted in, as Django logs one when
    the whole connection binds on the server. Django would log the text psycopg
    kept of it, which is none once psycopg has prepared the statement."""

    def execute(self, sql, params=None):
        from psycopg import DataError

        try:
            shown = self.db.ops.compose_sql(sql, params)
        except DataError:  # a value it cannot quote (a NUL): the text alone
            shown = sql
        with self.debug_sql(shown, params):
            return super(CursorDebugWrapper, self).execute(sql, params)


@functools.lru_cache(maxsize=4 * SHAPES)
def _qmark(text: str) -> str:
    """A statement with `%s` placeholders as SQLite's driver takes it."""
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", text).replace("%%", "%")


@contextlib.contextmanager
def executed(connection, text: str, params) -> Iterator:
    """A cursor that has run `text` (`%s` placeholders) with `params`, closed
    when the block ends.

    PostgreSQL: through `_cursor`. SQLite: handed to the driver in its own
    placeholders, converted once per statement, where Django's cursor
    converts the whole text with a regular expression on every call (a third
    of a one-row lookup's time); Django's checks and error wrapping are kept.
    Where queries are logged or wrapped (tests, debugging tools), through
    Django's cursor as any other statement."""
    if (
        connection.vendor != "sqlite"
        or connection.queries_logged
        or connection.execute_wrappers
    ):
        with _cursor(connection) as cursor:
            cursor.execute(text, params)
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(_qmark(text), params)
            yield cursor
        finally:
            cursor.close()


def _made_of_a_value(param) -> bool:
    if isinstance(param, list):
        return any(_made_of_a_value(item) for item in param)
    if isinstance(param, str):
        return _MARK in param or param.startswith(_MOMENT_TEXT)
    if isinstance(param, datetime):
        return param.year == _MOMENT.year
    return type(param) is int and param <= _ID_FLOOR


def _params(params, values, stand_ins, connection) -> _Params:
    """Where each value goes among the compiled query's parameters; a value
    the SQL does not carry as given, or at all, is refused."""
    adapt = connection.ops.adapt_datetimefield_value

    def contains(value: str) -> str:
        # The pattern of `contains` and `icontains`, as Django's lookups make it.
        return f"%{connection.ops.prep_for_like_query(value)}%"

    def ends_with(value: str) -> str:
        # The pattern of `endswith`.
        return f"%{connection.ops.prep_for_like_query(value)}"

    def phrase(value: str) -> str:
        # A text as one FTS5 phrase (the caller lets in no double quote).
        return f'"{value}"'

    slots, constants, adapters, found = [], [], [], set()
    for param in params:
        slot, adapter = None, None
        for n, stand_in in enumerate(stand_ins):
            if type(param) is type(stand_in) and param == stand_in:
                slot = n
                break
            if isinstance(stand_in, datetime) and param == adapt(stand_in):
                slot, adapter = n, adapt
                break
            if isinstance(stand_in, str):
                adapter = next(
                    (a for a in (contains, ends_with, phrase) if param == a(stand_in)),
                    None,
                )
                if adapter is not None:
                    slot = n
                    break
            if isinstance(stand_in, list) and param == json.dumps(stand_in):
                slot, adapter = n, json.dumps
                break
        if slot is None and _made_of_a_value(param):
            raise ValueError(f"a value is not a parameter as given: {param!r}")
        slots.append(slot)
        constants.append(None if slot is not None else param)
        adapters.append(adapter)
        found.add(slot)
    missing = set(range(len(values))) - found
    if missing:
        raise ValueError(f"values {sorted(missing)} are not parameters of the SQL")
    return _Params(tuple(slots), tuple(constants), tuple(adapters))


class _Kept:
    """What is compiled once per shape and database, kept for the next call."""

    def __init__(self, build):
        self.build = build
        self._compiled: dict = {}
        self._lock = threading.Lock()

    def _compiled_for(self, shape, values, using):
        key = (using, connections[using].vendor, shape, len(values))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._prepare(shape, values, using)
            with self._lock:
                if len(self._compiled) < SHAPES:
                    self._compiled[key] = compiled
        return compiled

    def _prepare(self, shape, values, using):
        raise NotImplementedError


class Prepared(_Kept):
    """`build(shape, *values)` returns a queryset; `rows(shape, *values)` its
    model instances.

    `shape` (hashable) names whatever else changes the SQL (how many values an
    IN list holds, whether a filter is there, the LIMIT): one compiled query is
    kept per shape and database."""

    def rows(self, shape, *values, using="default") -> list:
        connection = connections[using]
        compiled = self._compiled_for(shape, values, using)
        with executed(connection, compiled.sql, compiled.params.of(values)) as cursor:
            fetched = cursor.fetchall()
        return [self._instance(compiled, row, connection, using) for row in fetched]

    def _prepare(self, shape, values, using) -> _Compiled:
        stand_ins = [_stand_in(n, value) for n, value in enumerate(values)]
        queryset = self.build(shape, *stand_ins)
        if queryset._known_related_objects or queryset._prefetch_related_lookups:
            raise ValueError("a prepared query sets related objects itself")
        compiler = queryset.query.get_compiler(using=using)
        text, params = compiler.as_sql()
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Compiled(
            sql=text,
            params=_params(params, values, stand_ins, connections[using]),
            model=klass_info["model"],
            init_list=[column[0].target.attname for column in select[start:end]],
            start=start,
            end=end,
            populators=get_related_populators(klass_info, select, using),
            converters=compiler.get_converters(
                [column[0] for column in select[: compiler.col_count]]
            ),
            annotations=dict(compiler.annotation_col_map),
        )

    def _instance(self, compiled, row, connection, using):
        """The model instance of one row, as Django's ModelIterable makes it."""
        row = list(row)
        for position, (converters, expression) in compiled.converters.items():
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        instance = compiled.model.from_db(
            using, compiled.init_list, row[compiled.start : compiled.end]
        )
        for populator in compiled.populators:
            populator.populate(row, instance)
        for name, position in compiled.annotations.items():
            setattr(instance, name, row[position])
        return instance


class PreparedUpdate(_Kept):
    """`build(shape, *values)` returns (queryset, changes) for
    `queryset.update(**changes)`; `run(shape, *values)` makes that update and
    returns how many rows it changed. A related row in `changes` is given by
    its id (`subscriber_id=…`), as a value. Sends no signals, as `update`."""

    def run(self, shape, *values, using="default") -> int:
        text, params = self._compiled_for(shape, values, using)
        with executed(connections[using], text, params.of(values)) as cursor:
            return cursor.rowcount

    def _prepare(self, shape, values, using) -> tuple[str, _Params]:
        stand_ins = [_stand_in(n, value) for n, value in enumerate(values)]
        queryset, changes = self.build(shape, *stand_ins)
        query = queryset.query.chain(sql.UpdateQuery)
        query.add_update_values(changes)
        if query.related_updates:
            raise ValueError("a prepared update changes one table")
        query.clear_select_clause()
        text, params = query.get_compiler(using=using).as_sql()
        return text, _params(params, values, stand_ins, connections[using])


def update_apart(queryset, **changes) -> int:
    """`queryset.update(**changes)` with the values sent apart from the SQL on
    PostgreSQL, for values as large as a file (an import's outcomes): Django's
    cursor quotes them into the statement's text, and the driver keeps the
    text of the last hundred statements a connection ran (to count them for
    preparing), so each one would stay in memory long after it ran. Compiled
    on every call; sends no signals, as `update`."""
    query = queryset.query.chain(sql.UpdateQuery)
    query.add_update_values(changes)
    if query.related_updates:
        raise ValueError("update_apart changes one table")
    text, params = query.get_compiler(using=queryset.db).as_sql()
    with _cursor(connections[queryset.db]) as cursor:
        cursor.execute(text, params)
        return cursor.rowcount


def rows_apart(queryset) -> list[tuple]:
    """The rows of a `values_list` queryset, its values sent apart from the SQL
    on PostgreSQL: for a query of thousands of values (an import's chunk of
    numbers), which Django's cursor would quote into a text the driver keeps
    (see `update_apart`). Compiled on every call."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        text, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    with _cursor(connections[queryset.db]) as cursor:
        cursor.execute(text, params)
        rows = cursor.fetchall()
    converters = compiler.get_converters([column for column, *_ in compiler.select])
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return [tuple(row) for row in rows]
