"""What Subscriber Lookup matches for one search box, through the query an index
answers for what was typed.

- An address, a Subscriber ID or a phone number (any format) that is a
  subscriber's own is the answer, found by equality on unique and partner
  indexes; nothing else is searched. A Billing ID typed whole matches exactly
  too, and those rows come first.
- Three characters or more also match inside names, email addresses and Billing
  IDs, and four digits or more inside phone numbers, through trigram indexes: an
  FTS5 trigram table on SQLite; on PostgreSQL, for a partner's lookup, the
  narrow table of the searched text (`searched_text`), and otherwise pg_trgm
  GIN indexes on UPPER(…), so equality never uses them, and for text with a
  mark in it such as `l.shea`, on addresses and names read across their marks
  (`TrigramText`). The answers are those of a plain scan with `scan_filter`;
  the index only finds them.
- One or two characters cannot use a trigram index: they match a first name, a
  last name or a Billing ID that is exactly what was typed, in any case (a
  surname such as Wu or Li).
"""

import heapq
import itertools
import json
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Q,
    TextField,
    Value,
)
from django.db.models.expressions import Col, RawSQL
from django.db.models.functions import StrIndex, Upper
from django.db.models.lookups import Contains, Exact, GreaterThan

from csrtool import timezones
from csrtool.pagination import Page, decode_cursor, encode_cursor, keyset_page
from csrtool.prepared import Prepared
from csrtool.subscribers import searched_text
from csrtool.subscribers.searched_text import has_mark, marks_as_digits, microseconds

TRIGRAM_MIN = 3
PHONE_DIGITS_MIN = 4
FTS_TABLE = "subscribers_subscriber_fts"
_TABLE = "subscribers_subscriber"
# The partner indexes lead with partner_id: every partner is probed (the
# queryset's own scope keeps only the actor's).
_PARTNERS = "partner_id IN (SELECT id FROM partners_partner)"
_PHONE_LIKE = re.compile(r"^[+()\d\s.\-]{5,}$")


def _searchable(query) -> str:
    """Whitespace collapsed; control characters and lone surrogates dropped.

    Nobody types them, no stored value holds them, and PostgreSQL refuses a NUL
    in a query parameter.
    """
    text = str(query or "")
    if not (text.isascii() and text.isprintable()):
        # Printable ASCII (what is typed most) holds neither.
        text = "".join(
            ch
            for ch in text
            if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs")
        )
    return " ".join(text.split())[:254]


def _phones(query: str, region: str | None) -> list[str]:
    """The E.164 form a phone-like query stands for, if any: read as a number
    of the region (a number typed with its country code reads the same in
    every region, and one typed without reads as nothing outside one)."""
    try:
        number = phonenumbers.parse(query, region)
    except phonenumbers.NumberParseException:
        return []
    return [phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)]


def _digits(query: str) -> str:
    return re.sub(r"\D", "", query) if _PHONE_LIKE.match(query) else ""


class _IdAmong(Func):
    """The rows of a list of ids, bound as one value however long the list:
    `id = ANY(%s::bigint[])` on PostgreSQL, `id IN (SELECT value FROM
    json_each(%s))` on SQLite."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]):
        super().__init__(F("pk"))
        self.ids = ids

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::bigint[])", [*params, self.ids]

    def as_sqlite(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        among = "(SELECT value FROM json_each(%s))"
        return f"{column} IN {among}", [*params, json.dumps(self.ids)]


class TrigramText(Func):
    """PostgreSQL: a text as its second trigram index reads it: upper-cased,
    with the marks `.@_+-'` and space read as the digits `0123456`.

    pg_trgm takes every character but letters and digits for a word break, so
    on the text itself `l.shea` is the trigrams of `l` and of a word starting
    `shea`, found in tens of thousands of addresses and names that hold no
    `l.shea`; read this way it is `L0S`, `0SH`, `SHE`, `HEA`. The same map
    applied to what was typed keeps every row that holds it, and a few that hold
    digits where it holds marks, which the plain condition beside it rules out.
    """

    template = marks_as_digits("UPPER(%(expressions)s::text)")
    output_field = TextField()


# Columns with an index of TrigramText.
_ACROSS_MARKS = {"email_canonical", "first_name", "last_name"}


def _inside(column: str, text: str) -> Q:
    """`column` holds `text` in any case (the plain condition is `icontains`),
    in the form the column's trigram indexes serve best. Text with a mark in it
    is read across its marks; without, on UPPER(…), whose rows recheck faster."""
    plain = Q(**{f"{column}__icontains": text})
    if (
        connection.vendor != "postgresql"
        or column not in _ACROSS_MARKS
        or not has_mark(text)
    ):
        return plain
    spans = Contains(TrigramText(F(column)), TrigramText(Value(text)))
    # The plain condition again, as STRPOS: an index on UPPER(…) cannot serve
    # it, so the planner reads this arm on the index across the marks.
    holds = GreaterThan(StrIndex(Upper(F(column)), Upper(Value(text))), 0)
    return Q(spans) & Q(holds)


# One arm of a condition: terms (column, lookup, value) that all hold, such as
# ("last_name", "icontains", "lace").
_Arm = tuple[tuple[str, str, str | list[str]], ...]


def _held(arms: list[_Arm]) -> Q:
    """The condition that one of the arms holds."""
    condition = Q(pk__in=[])
    for terms in arms:
        held = {f"{column}__{lookup}": value for column, lookup, value in terms}
        condition |= Q(**held)
    return condition


def _arms_shape(arms: list[_Arm]) -> tuple[tuple, list]:
    """Arms as a prepared query takes them: their shape (each term's column,
    lookup and how many values a list holds), and their values in order (read
    back by `_arms_of`)."""
    shape, values = [], []
    for terms in arms:
        shape.append(
            tuple(
                (column, lookup, len(value) if isinstance(value, list) else None)
                for column, lookup, value in terms
            )
        )
        for _, _, value in terms:
            values += value if isinstance(value, list) else [value]
    return tuple(shape), values


def _arms_of(shape: tuple, values: list) -> list[_Arm]:
    """Arms of a shape, their values taken from the front of `values`."""
    arms = []
    for terms in shape:
        arm = []
        for column, lookup, count in terms:
            taken = [values.pop(0) for _ in range(count or 1)]
            arm.append((column, lookup, taken if count is not None else taken[0]))
        arms.append(tuple(arm))
    return arms


@dataclass
class _Matches:
    """Rows a lookup finds, as a condition (what a scan of the table matches,
    also given as its arms) and, for SQLite, id queries that indexes answer and
    whose union holds every such row."""

    condition: Q = field(default_factory=lambda: Q(pk__in=[]))
    arms: list[_Arm] = field(default_factory=list)
    ids: list[tuple[str, list]] = field(default_factory=list)
    # The FTS5 query of the trigram match, when there is one, and its id query.
    fts: str = ""
    fts_ids: tuple[str, list] | None = None
    # SQLite: whether the trigram match's hits were read, all of them (a rare
    # text), and stand in for it in `ids`.
    rare: bool = False
    # PostgreSQL: the same rows as `condition`, in the form its indexes serve.
    served: Q | None = None

    def add(self, arms: list[_Arm], sql: str, params: list) -> None:
        self.arms += arms
        self.condition |= _held(arms)
        self.ids.append((sql, params))

    def indexed(self) -> Q:
        if connection.vendor != "sqlite":
            # PostgreSQL plans each arm on its index (pg_trgm GIN for LIKE).
            return self.condition if self.served is None else self.served
        if not self.ids:
            return self.condition
        return Q(pk__in=RawSQL(*self.union())) & self.condition  # noqa: S611

    def union(self) -> tuple[str, list]:
        """SQLite: one query of every id the id queries find, and its
        parameters."""
        union = " UNION ALL ".join(sql for sql, _ in self.ids)
        return union, [param for _, values in self.ids for param in values]


def _in(values) -> str:
    return ", ".join(["%s"] * len(values))


def _equal(
    matches: _Matches, column: str, values: list, *, scoped=True, partner=None
) -> None:
    """`column` is one of `values`: on SQLite, an id query on the column's
    index, which leads with the partner where `scoped` (the given partner's,
    else every partner's in turn)."""
    scope, params = "", list(values)
    if scoped and partner is None:
        scope = f"{_PARTNERS} AND "
    elif scoped:
        scope, params = "partner_id = %s AND ", [partner, *params]
    matches.add(
        [((column, "in", list(values)),)],
        f"SELECT id FROM {_TABLE} WHERE {scope}{column} IN ({_in(values)})",  # noqa: S608
        params,
    )


# Whole keys unique across partners: their indexes hold no partner.
_UNSCOPED = {"public_id", "email_canonical"}


def _exact_keys(query: str, region: str | None) -> dict[str, list[str]]:
    """The whole keys `query` can be, by column."""
    keys = {"public_id": [query.lower()], "billing_id": [query]}
    if "@" in query:
        keys["email_canonical"] = [query.casefold()]
    if _PHONE_LIKE.match(query):
        phones = _phones(query, region)
        if phones:
            keys["phone"] = phones
    return keys


def _exact_of(keys: dict[str, list[str]], partner: int | None = None) -> _Matches:
    """Whole keys, each answered by a unique or partner index (of `partner`'s
    rows alone, if given)."""
    matches = _Matches()
    for column, values in keys.items():
        scoped = column not in _UNSCOPED
        _equal(matches, column, values, scoped=scoped, partner=partner)
    return matches


def _exact(query: str, region: str | None) -> _Matches:
    return _exact_of(_exact_keys(query, region))


def _variants(text: str) -> list[str]:
    """Every way of writing `text` in upper and lower case (a short text only)."""
    choices = [dict.fromkeys([ch, ch.lower(), ch.upper()]) for ch in text]
    return ["".join(parts) for parts in itertools.product(*choices)]


def _phrase(text: str) -> str:
    """An FTS5 string: whatever it holds is matched literally."""
    return '"' + text.replace('"', '""') + '"'


def _shared_start(partner: int) -> str:
    """What each of the partner's Billing IDs starts with (the fixed part of an
    account number's format, such as `P1-`), in lower case: the first and the
    last in order share it, from the partner's index of them. (In an order
    other than by code point it may not be every row's: it only chooses which
    part of a text a trigram index reads.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT billing_id FROM {_TABLE} WHERE partner_id = %s "  # noqa: S608
            f"ORDER BY billing_id LIMIT 1), (SELECT billing_id FROM {_TABLE} "
            "WHERE partner_id = %s ORDER BY billing_id DESC LIMIT 1)",
            [partner, partner],
        )
        first, last = cursor.fetchone()
    if first is None:
        return ""
    # In the index's order (by code point), as the rows between them.
    shared = 0
    while shared < min(len(first), len(last)) and first[shared] == last[shared]:
        shared += 1
    return first[:shared].lower()


def _shared_start_for(partner: int, text: str) -> str:
    """`_shared_start` for a text that may hold it: account numbers hold
    digits, so a text without any (or of one trigram) is read as it is,
    without a query for the start."""
    if len(text) <= TRIGRAM_MIN or not any(ch.isdigit() for ch in text):
        return ""
    return _shared_start(partner)


def _matched(text: str, shared: str) -> str:
    """An FTS5 query of the phrase `text`.

    Every trigram of a phrase is read in step, so one that a partner's rows all
    hold (those of `shared`, the start its Billing IDs share) costs a posting
    for each of them: `P1-9148` took 8.3 ms at 1M where `1-9148` took 1.3 ms.
    The longest part of the text without those trigrams, asked first beside
    the phrase, reads them only where that part is found (2.5 ms)."""
    rarer = searched_text.rarer_part(text, shared) if shared else text
    if rarer in ("", text):
        return _phrase(text)
    return f"({_phrase(rarer)} AND {_phrase(text)})"


def _partial(query: str, *, shared: str = "") -> _Matches:
    """Matches inside the searched columns: three characters or more through the
    trigram index (FTS5 folds case more widely than SQLite's LIKE, so the
    condition keeps exactly what a scan matches); fewer, whole names and Billing
    IDs in any case. `shared`: text whose trigrams each of the rows searched
    holds (`_shared_start`), which the trigram match reads last."""
    matches = _Matches()
    if len(query) < TRIGRAM_MIN:
        variants = _variants(query)
        for column in ("first_name", "last_name", "billing_id"):
            _equal(matches, column, variants)
        return matches
    arms, served = [], Q(pk__in=[])
    searched = [
        ("email_canonical", query.casefold()),
        ("billing_id", query),
        ("first_name", query),
        ("last_name", query),
    ]
    for column, text in searched:
        arms.append(((column, "icontains", text),))
        served |= _inside(column, text)
    if query.isascii():
        # FTS5 folds ASCII case as casefold() does: one phrase over the four
        # columns reads each trigram's postings once, not twice.
        terms = [
            "{email_canonical first_name last_name billing_id} : "
            + _matched(query, shared)
        ]
    else:
        terms = [
            f"email_canonical : {_phrase(query.casefold())}",
            f"{{first_name last_name billing_id}} : {_phrase(query)}",
        ]
    if " " in query:
        first, _, last = query.partition(" ")
        if max(len(first), len(last)) >= TRIGRAM_MIN:
            arms.append(
                (("first_name", "icontains", first), ("last_name", "icontains", last))
            )
            served |= _inside("first_name", first) & _inside("last_name", last)
            longer = ("first_name", first) if len(first) > len(last) else None
            column, text = longer or ("last_name", last)
            terms.append(f"{column} : {_phrase(text)}")
        else:
            # "Al Li": two short names, each matched whole.
            firsts, lasts = _variants(first), _variants(last)
            matches.add(
                [(("first_name", "in", firsts), ("last_name", "in", lasts))],
                f"SELECT id FROM {_TABLE} WHERE {_PARTNERS} "  # noqa: S608
                f"AND last_name IN ({_in(lasts)}) AND first_name IN ({_in(firsts)})",
                lasts + firsts,
            )
    digits = _digits(query)
    if len(digits) >= PHONE_DIGITS_MIN:
        arms.append((("phone", "icontains", digits),))
        served |= Q(phone__icontains=digits)
        terms.append(f"phone : {_phrase(digits)}")
    fts = " OR ".join(f"({term})" for term in terms)
    matches.fts = fts
    matches.fts_ids = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
        [fts],
    )
    names = matches.condition  # "Al Li", if typed
    matches.add(arms, *matches.fts_ids)
    if connection.vendor == "postgresql":
        matches.served = names | served
    return matches


def scan_filter(query: str, region: str | None = None) -> Q:
    """Every subscriber a search for `query` matches, as a plain condition: what
    a scan of the table matches (the former lookup). `search_filter` returns the
    same rows; a lookup page shows them all unless a whole address, Subscriber ID
    or phone number matched (`key_filter`), which is then the answer."""
    query = _searchable(query)
    if not query:
        return Q()
    return _exact(query, region).condition | _partial(query).condition


def search_filter(query: str, region: str | None = None) -> Q:
    """The lookup's condition, in the form the indexes answer (unranked)."""
    query = _searchable(query)
    if not query:
        return Q()
    matches = _exact(query, region)
    partial = _partial(query)
    if connection.vendor != "sqlite":
        return matches.condition | partial.indexed()
    matches.condition |= partial.condition
    matches.ids += partial.ids
    return matches.indexed()


def _unindexed(name: str, output_field):
    """SQLite: the column as an expression no index serves, so the match's index
    drives the plan (without statistics SQLite would rather walk the partner's
    newest-first index and test every row)."""
    if connection.vendor != "sqlite":
        return F(name)
    return _unindexed_expression(F(name), output_field)


def _unindexed_expression(expression, output_field):
    """SQLite: `+expression`, the same value, which no index serves."""
    return Func(expression, template="+%(expressions)s", output_field=output_field)


def _after(queryset, position, created="created_at", pk="pk"):
    """The rows after a cursor's position, newest first (by `created`, `pk`)."""
    if position is None:
        return queryset
    at, last = position
    # The first condition bounds a walk of the newest-first index; the second
    # is exact.
    return queryset.filter(**{f"{created}__lte": at}).filter(
        Q(**{f"{created}__lt": at}) | Q(**{created: at, f"{pk}__lt": last})
    )


def _page(items: list, size: int) -> Page:
    if len(items) <= size:
        return Page(items, None)
    items = items[:size]
    return Page(items, encode_cursor(items[-1].created_at, items[-1].pk))


def _newest_first(
    queryset, cursor: str | None, size: int, *, rows=None, common=None
) -> Page:
    """Newest first (created_at, then id) after the cursor, the match driving.

    Given `rows` (the partner's subscribers, for matches inside text: possibly
    thousands), the matches are put in order by their dates and ids alone, and
    only the page's rows are read whole from `rows`, with their readiness.
    `common` (the same subscribers, the plain condition, and how to read them
    if not by those, or None) is given for a text so common that reading them
    newest first finds a page sooner (`_common_page`)."""
    position = decode_cursor(cursor)
    if common is not None:
        subscribers, condition, read = common
        page = _common_page(subscribers, condition, position, size, read)
        if page is not None:
            return page
    order = ("-_created", "-_id")
    matches = _after(_driven(queryset), position, "_created", "_id").order_by(*order)
    if rows is None:
        return _page(list(matches[: size + 1]), size)
    ids = matches.values("pk")[: size + 1]
    return _page(list(_driven(rows).filter(pk__in=ids).order_by(*order)), size)


def _driven(queryset):
    """The queryset with `_created` and `_id` to order by, which on SQLite no
    index serves: the condition's own index drives the plan."""
    return queryset.alias(
        _created=_unindexed("created_at", DateTimeField()),
        _id=_unindexed("id", IntegerField()),
    )


def _is_partner(child) -> bool:
    """Whether a condition of a queryset is `partner = …`."""
    return (
        isinstance(child, Exact)
        and isinstance(child.lhs, Col)
        and child.lhs.target.name == "partner"
    )


def _partner_unindexed(queryset):
    """SQLite: the same rows, their partner condition in a form no index serves,
    so that a list of ids is read by id. On the partner's own index (partner_id,
    then id) SQLite seeks each id there first, then in the table: two reads a
    row where one will do."""
    if connection.vendor != "sqlite":
        return queryset
    clone = queryset.all()
    children = clone.query.where.children
    for n, child in enumerate(children):
        if _is_partner(child):
            column = _unindexed_expression(child.lhs, IntegerField())
            children[n] = Exact(column, child.rhs)
    return clone


# Trigram hits from which a text counts as common: reading a partner newest
# first then meets a page of matches sooner than sorting every hit would.
COMMON_HITS = 5000
# How many of the partner's subscribers (after the cursor) that reading tests
# at most before the trigram index drives after all.
COMMON_WINDOW = 20_000


def _is_common(matches: _Matches) -> bool:
    """SQLite: whether the trigram index holds COMMON_HITS rows for the text.

    Reading the hits stops there, so a common text costs no more than a rare
    one; a rare text's hits, all read, then stand in for the trigram match in
    the page's query (which would otherwise ask the index a second time)."""
    if connection.vendor != "sqlite" or not matches.fts:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s LIMIT {COMMON_HITS}",
            [matches.fts],
        )
        hits = [row[0] for row in cursor.fetchall()]
    if len(hits) >= COMMON_HITS:
        return True
    matches.rare = True
    matches.ids[matches.ids.index(matches.fts_ids)] = (
        "SELECT value FROM json_each(%s)",
        [json.dumps(hits)],
    )
    return False


# SQLite: the index of each subscriber's partner and date by id (migration
# subscribers 0010).
_DATED = "subscriber_dated"


def _dated_candidates(partner: int, matches: _Matches, position, limit: int):
    """SQLite: the ids of the partner's rows among a rare text's matches
    (`matches.ids`, its trigram hits read), newest first after the position, at
    most `limit`: put in order from the narrow index of dates by id, without a
    visit to a wide row. Each is a candidate only: its whole row is still to be
    checked against the lookup's condition and scope."""
    union, params = matches.union()
    params.append(partner)
    after = ""
    if position is not None:
        at, last = position
        at = connection.ops.adapt_datetimefield_value(at)
        after = "AND (created_at < %s OR (created_at = %s AND id < %s)) "
        params += [at, at, last]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_TABLE} INDEXED BY {_DATED} "  # noqa: S608
            f"WHERE id IN ({union}) AND partner_id = %s {after}"
            f"ORDER BY created_at DESC, id DESC LIMIT {limit}",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def _planned_without(*scans: str):
    """PostgreSQL: the queries inside are planned without these scan methods,
    and without parallel workers.

    The planner guesses how many rows a LIKE '%…%' matches, and can guess
    wrong either way: a rare surname taken for common was read newest first,
    testing each row (350,000 rows for one page); a common text taken for rare
    had every hit read and sorted. The lookup counts the hits itself and tells
    the planner which way to go. Workers would read past the LIMIT of a text's
    hits, and starting them costs more than a page's walk. The settings hold in
    a transaction of their own, which only reads and is rolled back, settings
    and all."""
    settings = [f"enable_{scan}" for scan in scans]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true), "
            + ", ".join(f"set_config('{name}', 'off', true)" for name in settings)
        )
        yield
        transaction.set_rollback(True)


def _postgres_rest(
    queryset, query: str, partial: _Matches, excluded: Q, cursor, size: int, read=None
) -> Page:
    """PostgreSQL: the page of matches inside text, but for the `excluded`
    (whole-key matches, already shown).

    A partner's lookup is read from the narrow table of the searched text
    (`searched_text`). Otherwise, or where that table cannot settle the page,
    from the subscriber table's own trigram indexes: the text's hits in the
    actor's scope are read first (bitmap scans only, at most COMMON_HITS), each
    with its date; fewer than that, and they are the page's candidates, put in
    order without reading their rows again. A common text is read from the
    partner's newest-first index, testing each row down to COMMON_WINDOW rows,
    as on SQLite; if that window holds less than a page, or the actor sees
    every partner (no such index), the planner reads the rest.

    `read(ids, whole_keys_out=…)`, if given, reads the rows among `ids` (see
    `lookup_page`'s `among`)."""
    rest = queryset.exclude(excluded)
    if read is None:

        def read(ids, *, whole_keys_out):
            rows = rest if whole_keys_out else queryset
            return list(rows.filter(_IdAmong(ids)).order_by("-created_at", "-id"))

    page = _searched_page(rest, query, cursor, size, read)
    if page is not None:
        return page
    condition = partial.indexed()
    if partial.fts:
        with _planned_without("seqscan", "indexscan", "indexonlyscan"):
            when = _Microseconds("created_at")
            hits = list(rest.filter(condition).values_list(when, "pk")[:COMMON_HITS])
        if len(hits) < COMMON_HITS:
            return _hits_page(hits, decode_cursor(cursor), size, read)
        if _one_partner(queryset):
            with _planned_without("seqscan", "bitmapscan"):
                # Each row is tested, so by the plain condition, the cheaper.
                common = partial.condition & ~excluded
                page = _common_page(queryset, common, decode_cursor(cursor), size)
            if page is not None:
                return page
    return _newest_first(rest.filter(condition), cursor, size, rows=queryset)


def _searched_page(rows, query: str, cursor, size: int, read) -> Page | None:
    """PostgreSQL: the page of `rows` (one partner's, whole-key matches left
    out) matching inside text, from the candidates the narrow table of the
    searched text gives, only the page's rows read whole (by `read`); None where
    that table cannot settle it."""
    partner = _partner_of(rows)
    digits = _digits(query)
    found = searched_text.patterns(
        query,
        trigram_min=TRIGRAM_MIN,
        digits=digits if len(digits) >= PHONE_DIGITS_MIN else "",
    )
    if partner is None or found is None:
        return None

    def shared() -> str:
        return _shared_start_for(partner, query)

    position = decode_cursor(cursor)
    found_rows = searched_text.candidates(partner, found, position, size, shared)
    if found_rows is None:
        return None
    candidates, complete = found_rows
    ids = [pk for _, pk in candidates[: size + 1 + searched_text.SPARE]]
    items = read(ids, whole_keys_out=True)
    if len(items) <= size and len(candidates) > len(ids):
        # The queryset left some out: every candidate, then.
        items = read([pk for _, pk in candidates], whole_keys_out=True)
    if len(items) <= size and not complete:
        return None
    return _page(items, size)


class _Microseconds(Func):
    """PostgreSQL: a date as whole microseconds since 1970, an integer that
    orders as the date does and is read far faster than a datetime."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def _hits_page(hits: list[tuple], position, size: int, read) -> Page:
    """PostgreSQL: the page of a rare text's hits, each given as (microseconds
    of its date, id): put in order from the dates read with them, so only the
    page's rows are read again, whole (by `read`, whole-key matches kept)."""
    if position is not None:
        at, last = position
        after = (microseconds(at), last)
        hits = [hit for hit in hits if hit < after]
    ids = [pk for _, pk in heapq.nlargest(size + 1, hits)]
    return _page(read(ids, whole_keys_out=False), size)


def _partner_of(queryset) -> int | None:
    """The partner whose subscribers the queryset holds (a partner's staff), or
    None for every partner's (an operator)."""
    children = queryset.query.where.children
    return next((child.rhs for child in children if _is_partner(child)), None)


def _one_partner(queryset) -> bool:
    """Whether the queryset holds one partner's subscribers (a partner's staff,
    not an operator): only then is there a newest-first index to walk."""
    return _partner_of(queryset) is not None


def _within(queryset, floor):
    """The rows from the newest down to `floor` (a date and an id), if given."""
    if floor is None:
        return queryset
    created_at, pk = floor
    # The first condition bounds the walk of the index; the second is exact.
    return queryset.filter(created_at__gte=created_at).filter(
        Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gte=pk)
    )


def _common_page(
    subscribers, condition: Q, position, size: int, read=None
) -> Page | None:
    """The page read from the partner's newest-first index, testing each row,
    down to COMMON_WINDOW rows after the cursor; None when fewer than a page's
    worth of matches are among them (the text is rarer for this partner).

    `read`, if given, is (floor, matches): `floor(position)` gives the date and
    id of the COMMON_WINDOW-th row after the position (None if there are
    fewer), `matches(position, floor, size)` the first `size` + 1 matches down
    to it, newest first, as `subscribers` and `condition` would (`lookup_for`).
    """
    if read is not None:
        floor_of, matches = read
        floor = floor_of(position)
        items = matches(position, floor, size)
    else:
        after = _after(subscribers, position)
        newest = after.order_by("-created_at", "-id").values_list("created_at", "id")
        floor = next(iter(newest[COMMON_WINDOW - 1 : COMMON_WINDOW]), None)
        window = _within(after, floor).filter(condition)
        items = list(window.order_by("-created_at", "-id")[: size + 1])
    if len(items) <= size and floor is not None:
        return None
    return _page(items, size)


_EXACT_PHASE = "x."
_KEY_PHASE = "k."
_REST_START = "r"


def _identifying(keys: dict[str, list[str]]) -> dict[str, list[str]]:
    """Of the whole keys, those that are one subscriber's: an address, a
    Subscriber ID, a phone number (a Billing ID may be several subscribers')."""
    return {column: values for column, values in keys.items() if column != "billing_id"}


def key_filter(query: str, region: str | None = None) -> Q:
    """Subscribers whose address, Subscriber ID or phone number is the query."""
    condition = Q(pk__in=[])
    keys = _identifying(_exact_keys(_searchable(query), region))
    for column, values in keys.items():
        condition |= Q(**{f"{column}__in": sorted(values)})
    return condition


def exact_filter(query: str, region: str | None = None) -> Q:
    """Subscribers with a whole key (Billing ID included) equal to the query."""
    return _exact(_searchable(query), region).condition


def _scope_of(operator: bool, status: bool, annotate, values: list):
    """A lookup's scope as `lookup_for` makes it, its values taken from the
    front of `values` (see `_exact_first_page` and `_among_ids`)."""
    from csrtool.subscribers.models import Subscriber

    if operator:
        queryset = Subscriber.objects.select_related("partner")
    else:
        queryset = Subscriber.objects.filter(partner_id=values.pop(0))
    if status:
        queryset = queryset.filter(status=values.pop(0))
    return queryset if annotate is None else annotate(queryset)


def _flattened(keys: dict[str, list]) -> tuple[tuple, list]:
    """Whole keys as a prepared query takes them: (column, how many values) for
    its shape, and the values in that order (read back by `_keys_of`)."""
    columns = tuple((column, len(values)) for column, values in keys.items())
    return columns, [value for values in keys.values() for value in values]


def _keys_of(columns, values: list) -> dict[str, list]:
    """Whole keys by column, their values taken from the front of `values`."""
    keys = {}
    for column, count in columns:
        keys[column] = [values.pop(0) for _ in range(count)]
    return keys


def _exact_first_page(shape, *values):
    """The first page of whole-key matches for a lookup's shape (see
    `lookup_for`): the same query as `lookup_page` makes of the same scope."""
    operator, status, annotate, columns, size = shape
    values = list(values)
    partner = None if operator else values[0]
    queryset = _scope_of(operator, status, annotate, values)
    exact = _exact_of(_keys_of(columns, values), partner)
    matches = queryset.filter(exact.indexed())
    return _driven(matches).order_by("-_created", "-_id")[: size + 1]


_EXACT_FIRST_PAGE = Prepared(_exact_first_page)


def _among_ids(shape, *values):
    """A lookup's scope among a list of ids (its last value), newest first, the
    first `size` + 1, but for the whole-key matches of `columns` where given,
    and of those only the rows that hold one of the arms where given: the page
    a search of the narrow table (PostgreSQL), or a rare text's hits, settle on
    (see `lookup_for`)."""
    operator, status, annotate, columns, arms, size = shape
    values = list(values)
    queryset = _scope_of(operator, status, annotate, values)
    if columns is not None:
        queryset = queryset.exclude(_exact_of(_keys_of(columns, values)).condition)
    if arms is not None:
        queryset = queryset.filter(_held(_arms_of(arms, values)))
    (ids,) = values
    queryset = queryset.filter(_IdAmong(ids)).order_by("-created_at", "-id")
    # A page's worth and one more: each row read is a model instance made.
    return queryset[: size + 1]


_AMONG_IDS = Prepared(_among_ids)


def _position_of(given: bool, values: list):
    """A cursor's position (a date and an id) taken from the front of
    `values`, if given."""
    return (values.pop(0), values.pop(0)) if given else None


def _newest_at(shape, *values):
    """A partner's lookup (of one status, if given): its `count`-th row after
    the position, if given, newest first (see `_common_page`)."""
    status, positioned, count = shape
    values = list(values)
    queryset = _scope_of(False, status, None, values)
    after = _after(queryset, _position_of(positioned, values))
    newest = after.order_by("-created_at", "-id").only("created_at")
    return newest[count - 1 : count]


_NEWEST_AT = Prepared(_newest_at)


def _window(shape, *values):
    """A partner's lookup: the first page's worth of rows (and one more) after
    the position, down to the floor, if given, that hold one of the arms, but
    for the whole-key matches of `columns` (see `_common_page`)."""
    status, annotate, columns, arms, positioned, floored, size = shape
    values = list(values)
    queryset = _scope_of(False, status, annotate, values)
    keys = _keys_of(columns, values)
    held = _held(_arms_of(arms, values))
    after = _after(queryset, _position_of(positioned, values))
    window = _within(after, _position_of(floored, values))
    window = window.filter(held).exclude(_exact_of(keys).condition)
    return window.order_by("-created_at", "-id")[: size + 1]


_WINDOW = Prepared(_window)


def lookup_for(actor, query: str, *, status="", annotate=None, cursor=None, size=50):
    """A Subscriber Lookup as a page, the API or a command makes it: the
    actor's subscribers (of one status, if given), each with its partner and,
    given `annotate` (a function of the queryset alone), its columns.

    The first page of whole-key matches, which every lookup starts with, and on
    PostgreSQL the page's rows read by id after a search of the narrow table,
    run queries compiled once per shape (`csrtool.prepared`)."""
    from csrtool.subscribers.models import Subscriber

    def subscribers():
        queryset = Subscriber.objects.for_actor(actor, with_partner=True)
        if status:
            queryset = queryset.filter(status=status)
        return queryset if annotate is None else annotate(queryset)

    region = None
    if actor.partner is not None:
        region = timezones.zone_territory(actor.partner.time_zone)

    scope = [] if actor.is_operator else [actor.partner.pk]
    scope += [status] if status else []

    def own(items: list) -> list:
        if not actor.is_operator:
            for item in items:
                item.partner = actor.partner
        return items

    def first_exact(keys: dict[str, list[str]], size: int) -> list:
        columns, found = _flattened(keys)
        shape = (actor.is_operator, bool(status), annotate, columns, size)
        return own(_EXACT_FIRST_PAGE.rows(shape, *scope, *found))

    def among(ids: list[int], keys, arms, size: int) -> list:
        columns, found = (None, []) if keys is None else _flattened(keys)
        held, texts = (None, []) if arms is None else _arms_shape(arms)
        shape = (actor.is_operator, bool(status), annotate, columns, held, size)
        return own(_AMONG_IDS.rows(shape, *scope, *found, *texts, list(ids)))

    def floor(position) -> tuple | None:
        shape = (bool(status), position is not None, COMMON_WINDOW)
        rows = _NEWEST_AT.rows(shape, *scope, *(position or ()))
        return (rows[0].created_at, rows[0].pk) if rows else None

    def in_window(position, below, keys, arms, size: int) -> list:
        columns, found = _flattened(keys)
        held, texts = _arms_shape(arms)
        shape = (bool(status), annotate, columns, held)
        shape += (position is not None, below is not None, size)
        bounds = (*(position or ()), *(below or ()))
        return own(_WINDOW.rows(shape, *scope, *found, *texts, *bounds))

    return lookup_page(
        subscribers,
        query,
        region=region,
        cursor=cursor,
        size=size,
        first=first_exact,
        among=among,
        window=None if actor.is_operator else (floor, in_window),
    )


def lookup_page(
    queryset,
    query: str,
    *,
    region=None,
    cursor=None,
    size=50,
    first=None,
    among=None,
    window=None,
) -> Page:
    """One page of a lookup, by keyset cursor (no count, no offset).

    Whole-key matches come first, each newest first. When what was typed is a
    subscriber's address, Subscriber ID or phone number, those matches are the
    answer (one query, on unique and partner indexes); otherwise the matches
    inside names, addresses, Billing IDs and phones follow (a second query, on
    the trigram indexes), as `scan_filter` would find them. `first(keys, size)`,
    if given, reads the first page of whole-key matches in the queryset's stead
    (`lookup_for`), and the queryset may then be given as a function that makes
    it, called only when a lookup goes further. Likewise `among(ids, keys,
    arms, size)` reads the queryset's first `size` + 1 rows among `ids`, newest
    first, but for the whole-key matches of `keys` unless None, and of those
    the rows that hold one of `arms` unless None (a `_Matches`' arms). And
    `window`, (floor, in_window), reads a common text's page from the
    partner's newest rows (see `_common_page`; `in_window(position, floor,
    keys, arms, size)` leaves out the whole-key matches of `keys` and keeps the
    rows that hold one of `arms`).
    """
    scope = queryset if callable(queryset) else (lambda: queryset)
    query = _searchable(query)
    if not query:
        # Nothing to match: the partner's newest-first index serves the order.
        return keyset_page(scope(), cursor, size=size)
    exact_keys = _exact_keys(query, region)
    items = []
    if not cursor or cursor.startswith((_EXACT_PHASE, _KEY_PHASE)):
        position = cursor[len(_EXACT_PHASE) :] if cursor else None
        if position is None and first is not None:
            page = _page(first(exact_keys, size), size)
        else:
            subscribers = scope()
            exact = _exact_of(exact_keys, _partner_of(subscribers))
            matches = subscribers.filter(exact.indexed())
            page = _newest_first(matches, position, size)
        keys = _identifying(exact_keys)
        if (cursor or "").startswith(_KEY_PHASE) or any(
            getattr(item, column) in values
            for item in page.items
            for column, values in keys.items()
        ):
            following = page.next_cursor and _KEY_PHASE + page.next_cursor
            return Page(page.items, following)
        if page.next_cursor:
            return Page(page.items, _EXACT_PHASE + page.next_cursor)
        items, cursor = page.items, None
    if len(items) == size:
        # A page full of whole-key matches: the rest follow on the next page.
        return Page(items, _REST_START)
    if cursor == _REST_START:
        cursor = None
    queryset, exact = scope(), _exact_of(exact_keys)
    partner, common = _partner_of(queryset), None
    shared = ""
    if connection.vendor == "sqlite" and partner is not None:
        shared = _shared_start_for(partner, query)
    partial = _partial(query, shared=shared)
    if connection.vendor == "postgresql":
        read = None
        if among is not None:

            def read(ids, *, whole_keys_out):
                keys = exact_keys if whole_keys_out else None
                return among(ids, keys, None, size - len(items))

        page = _postgres_rest(
            queryset, query, partial, exact.condition, cursor, size - len(items), read
        )
        return Page(items + page.items, page.next_cursor)
    if partner is not None and _is_common(partial):
        read = None
        if window is not None:
            floor_of, in_window = window

            def held(position, floor, size):
                return in_window(position, floor, exact_keys, partial.arms, size)

            read = (floor_of, held)
        common = (queryset, partial.condition & ~exact.condition, read)
    if partial.rare:
        read = None
        if among is not None:

            def read(ids):
                return among(ids, exact_keys, partial.arms, size - len(items))

        page = _rare_page(queryset, partial, exact, cursor, size - len(items), read)
        if page is not None:
            return Page(items + page.items, page.next_cursor)
    rest = _partner_unindexed(queryset).filter(partial.indexed())
    rest = rest.exclude(exact.condition)
    page = _newest_first(rest, cursor, size - len(items), rows=queryset, common=common)
    return Page(items + page.items, page.next_cursor)


def _rare_page(
    queryset, partial: _Matches, exact: _Matches, cursor, size: int, read=None
):
    """SQLite: the page of a rare text's matches (one partner's, whole-key
    matches left out), from a page's worth of candidates and SPARE more put in
    order by `_dated_candidates`, only their rows read whole (by `read(ids)`,
    if given, as the queryset reads them); None where the candidates do not
    settle it (the lookup's condition or scope left too many out)."""
    limit = size + 1 + searched_text.SPARE
    position = decode_cursor(cursor)
    ids = _dated_candidates(_partner_of(queryset), partial, position, limit)
    if read is None:
        rows = queryset.filter(pk__in=ids).filter(partial.condition)
        rows = rows.exclude(exact.condition).order_by("-created_at", "-id")
        items = list(rows[: size + 1])
    else:
        items = read(ids)[: size + 1]
    if len(items) <= size and len(ids) == limit:
        return None
    return _page(items, size)
