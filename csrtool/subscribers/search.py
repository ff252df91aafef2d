"""What Subscriber Lookup matches for one search box, through the query an index
answers for what was typed.

- An address, a Subscriber ID or a phone number (any format) that is a
  subscriber's own is the answer, found by equality on unique and partner
  indexes; nothing else is searched. A Billing ID typed whole matches exactly
  too, and those rows come first.
- Three characters or more also match inside names, email addresses and Billing
  IDs, and four digits or more inside phone numbers, through trigram indexes (an
  FTS5 trigram table on SQLite, pg_trgm GIN indexes on UPPER(…) on PostgreSQL,
  so equality never uses them). The answers are those of a plain scan with
  `scan_filter`; the index only finds them.
- One or two characters cannot use a trigram index: they match a first name, a
  last name or a Billing ID that is exactly what was typed, in any case (a
  surname such as Wu or Li).
"""

import itertools
import json
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection, transaction
from django.db.models import BooleanField, DateTimeField, F, Func, IntegerField, Q
from django.db.models.expressions import RawSQL

from csrtool.pagination import Page, decode_cursor, encode_cursor, keyset_page

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
    text = "".join(
        ch
        for ch in str(query or "")
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs")
    )
    return " ".join(text.split())[:254]


def _phones(query: str, region: str | None) -> list[str]:
    """The E.164 forms a phone-like query can stand for."""
    found = []
    for default_region in dict.fromkeys([region, None]):
        try:
            number = phonenumbers.parse(query, default_region)
        except phonenumbers.NumberParseException:
            continue
        found.append(
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        )
    return list(dict.fromkeys(found))


def _digits(query: str) -> str:
    return re.sub(r"\D", "", query) if _PHONE_LIKE.match(query) else ""


class _IdAmong(Func):
    """`id = ANY(%s::bigint[])` (PostgreSQL): the rows of a list of ids, bound
    as one array however long the list."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]):
        super().__init__(F("pk"))
        self.ids = ids

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::bigint[])", [*params, self.ids]


@dataclass
class _Matches:
    """Rows a lookup finds, as a condition (what a scan of the table matches)
    and, for SQLite, id queries that indexes answer and whose union holds every
    such row."""

    condition: Q = field(default_factory=lambda: Q(pk__in=[]))
    ids: list[tuple[str, list]] = field(default_factory=list)
    # The FTS5 query of the trigram match, when there is one, and its id query.
    fts: str = ""
    fts_ids: tuple[str, list] | None = None

    def add(self, condition: Q, sql: str, params: list) -> None:
        self.condition |= condition
        self.ids.append((sql, params))

    def indexed(self) -> Q:
        if connection.vendor != "sqlite" or not self.ids:
            # PostgreSQL plans each arm on its index (pg_trgm GIN for LIKE).
            return self.condition
        union = " UNION ALL ".join(sql for sql, _ in self.ids)
        params = [param for _, values in self.ids for param in values]
        return Q(pk__in=RawSQL(union, params)) & self.condition  # noqa: S611


def _in(values) -> str:
    return ", ".join(["%s"] * len(values))


def _equal(matches: _Matches, column: str, values: list, *, scoped=True) -> None:
    scope = f"{_PARTNERS} AND " if scoped else ""
    matches.add(
        Q(**{f"{column}__in": values}),
        f"SELECT id FROM {_TABLE} WHERE {scope}{column} IN ({_in(values)})",  # noqa: S608
        list(values),
    )


def _exact(query: str, region: str | None) -> _Matches:
    """Whole keys, each answered by a unique or partner index."""
    matches = _Matches()
    _equal(matches, "public_id", [query.lower()], scoped=False)
    _equal(matches, "billing_id", [query])
    if "@" in query:
        _equal(matches, "email_canonical", [query.casefold()], scoped=False)
    if _PHONE_LIKE.match(query):
        phones = _phones(query, region)
        if phones:
            _equal(matches, "phone", phones)
    return matches


def _variants(text: str) -> list[str]:
    """Every way of writing `text` in upper and lower case (a short text only)."""
    choices = [dict.fromkeys([ch, ch.lower(), ch.upper()]) for ch in text]
    return ["".join(parts) for parts in itertools.product(*choices)]


def _phrase(text: str) -> str:
    """An FTS5 string: whatever it holds is matched literally."""
    return '"' + text.replace('"', '""') + '"'


def _partial(query: str) -> _Matches:
    """Matches inside the searched columns: three characters or more through the
    trigram index (FTS5 folds case more widely than SQLite's LIKE, so the
    condition keeps exactly what a scan matches); fewer, whole names and Billing
    IDs in any case."""
    matches = _Matches()
    if len(query) < TRIGRAM_MIN:
        variants = _variants(query)
        for column in ("first_name", "last_name", "billing_id"):
            _equal(matches, column, variants)
        return matches
    condition = (
        Q(email_canonical__icontains=query.casefold())
        | Q(billing_id__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
    )
    if query.isascii():
        # FTS5 folds ASCII case as casefold() does: one phrase over the four
        # columns reads each trigram's postings once, not twice.
        terms = [
            f"{{email_canonical first_name last_name billing_id}} : {_phrase(query)}"
        ]
    else:
        terms = [
            f"email_canonical : {_phrase(query.casefold())}",
            f"{{first_name last_name billing_id}} : {_phrase(query)}",
        ]
    if " " in query:
        first, _, last = query.partition(" ")
        if max(len(first), len(last)) >= TRIGRAM_MIN:
            condition |= Q(first_name__icontains=first, last_name__icontains=last)
            longer = ("first_name", first) if len(first) > len(last) else None
            column, text = longer or ("last_name", last)
            terms.append(f"{column} : {_phrase(text)}")
        else:
            # "Al Li": two short names, each matched whole.
            firsts, lasts = _variants(first), _variants(last)
            matches.add(
                Q(first_name__in=firsts, last_name__in=lasts),
                f"SELECT id FROM {_TABLE} WHERE {_PARTNERS} "  # noqa: S608
                f"AND last_name IN ({_in(lasts)}) AND first_name IN ({_in(firsts)})",
                lasts + firsts,
            )
    digits = _digits(query)
    if len(digits) >= PHONE_DIGITS_MIN:
        condition |= Q(phone__icontains=digits)
        terms.append(f"phone : {_phrase(digits)}")
    fts = " OR ".join(f"({term})" for term in terms)
    matches.fts = fts
    matches.fts_ids = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
        [fts],
    )
    matches.add(condition, *matches.fts_ids)
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
    matches.condition |= partial.condition
    matches.ids += partial.ids
    return matches.indexed()


def _unindexed(name: str, output_field):
    """SQLite: the column as an expression no index serves, so the match's index
    drives the plan (without statistics SQLite would rather walk the partner's
    newest-first index and test every row)."""
    if connection.vendor != "sqlite":
        return F(name)
    return Func(F(name), template="+%(expressions)s", output_field=output_field)


def _after(queryset, position, created="created_at", pk="pk"):
    """The rows after a cursor's position, newest first (by `created`, `pk`)."""
    if position is None:
        return queryset
    at, last = position
    return queryset.filter(
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
    `common` (the same subscribers and the plain condition) is given for a text
    so common that reading them newest first finds a page sooner
    (`_common_page`)."""
    position = decode_cursor(cursor)
    if common is not None:
        page = _common_page(*common, position, size)
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
    matches.ids[matches.ids.index(matches.fts_ids)] = (
        "SELECT value FROM json_each(%s)",
        [json.dumps(hits)],
    )
    return False


@contextmanager
def _through_bitmaps():
    """PostgreSQL: the queries inside reach rows through bitmap index scans
    only, so the trigram GIN indexes (or the hits' primary keys) drive them.

    The planner guesses how many rows a LIKE '%…%' matches; for a text it
    wrongly takes for common it would read a partner newest first, testing
    each row (a rare surname: 350,000 rows for one page), or scan the table
    for a LIMIT. The settings hold in a transaction of their own, which only
    reads and is rolled back, settings and all."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_seqscan', 'off', true), "
            "set_config('enable_indexscan', 'off', true), "
            "set_config('enable_indexonlyscan', 'off', true)"
        )
        yield
        transaction.set_rollback(True)


def _postgres_rest(queryset, partial: _Matches, cursor, size: int) -> Page:
    """PostgreSQL: the page of matches inside text. The text's hits are read
    through the GIN indexes first (at most COMMON_HITS, in every partner),
    whatever the planner guesses; fewer than that, and those ids drive the
    page. A common text is left to the planner, which walks the partner newest
    first and meets a page of matches within a few thousand rows (reading a
    window of rows as SQLite does costs PostgreSQL a heap visit a row)."""
    if partial.fts:
        with _through_bitmaps():
            hits = list(
                queryset.model._base_manager.filter(partial.condition).values_list(
                    "pk", flat=True
                )[:COMMON_HITS]
            )
            if len(hits) < COMMON_HITS:
                rare = queryset.filter(_IdAmong(hits))
                return _newest_first(rare, cursor, size, rows=queryset)
    return _newest_first(
        queryset.filter(partial.condition), cursor, size, rows=queryset
    )


def _common_page(subscribers, condition: Q, position, size: int) -> Page | None:
    """The page read from the partner's newest-first index, testing each row,
    down to COMMON_WINDOW rows after the cursor; None when fewer than a page's
    worth of matches are among them (the text is rarer for this partner)."""
    after = _after(subscribers, position)
    newest = after.order_by("-created_at", "-id").values_list("created_at", "id")
    floor = next(iter(newest[COMMON_WINDOW - 1 : COMMON_WINDOW]), None)
    window = after
    if floor is not None:
        created_at, pk = floor
        window = after.filter(
            Q(created_at__gt=created_at) | Q(created_at=created_at, pk__gte=pk)
        )
    items = list(window.filter(condition).order_by("-created_at", "-id")[: size + 1])
    if len(items) <= size and floor is not None:
        return None
    return _page(items, size)


_EXACT_PHASE = "x."
_KEY_PHASE = "k."
_REST_START = "r"


def _keys(query: str, region: str | None) -> dict[str, set[str]]:
    """The values a whole address, Subscriber ID or phone number stands for."""
    keys = {"public_id": {query.lower()}}
    if "@" in query:
        keys["email_canonical"] = {query.casefold()}
    if _PHONE_LIKE.match(query):
        keys["phone"] = set(_phones(query, region))
    return keys


def key_filter(query: str, region: str | None = None) -> Q:
    """Subscribers whose address, Subscriber ID or phone number is the query."""
    condition = Q(pk__in=[])
    for column, values in _keys(_searchable(query), region).items():
        if values:
            condition |= Q(**{f"{column}__in": sorted(values)})
    return condition


def exact_filter(query: str, region: str | None = None) -> Q:
    """Subscribers with a whole key (Billing ID included) equal to the query."""
    return _exact(_searchable(query), region).condition


def lookup_page(queryset, query: str, *, region=None, cursor=None, size=50) -> Page:
    """One page of a lookup, by keyset cursor (no count, no offset).

    Whole-key matches come first, each newest first. When what was typed is a
    subscriber's address, Subscriber ID or phone number, those matches are the
    answer (one query, on unique and partner indexes); otherwise the matches
    inside names, addresses, Billing IDs and phones follow (a second query, on
    the trigram indexes), as `scan_filter` would find them.
    """
    query = _searchable(query)
    if not query:
        # Nothing to match: the partner's newest-first index serves the order.
        return keyset_page(queryset, cursor, size=size)
    exact = _exact(query, region)
    items = []
    if not cursor or cursor.startswith((_EXACT_PHASE, _KEY_PHASE)):
        position = cursor[len(_EXACT_PHASE) :] if cursor else None
        page = _newest_first(queryset.filter(exact.indexed()), position, size)
        keys = _keys(query, region)
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
    partial, common = _partial(query), None
    if connection.vendor == "postgresql":
        rest = queryset.exclude(exact.condition)
        page = _postgres_rest(rest, partial, cursor, size - len(items))
        return Page(items + page.items, page.next_cursor)
    if _is_common(partial):
        common = (queryset, partial.condition & ~exact.condition)
    rest = queryset.filter(partial.indexed()).exclude(exact.condition)
    page = _newest_first(rest, cursor, size - len(items), rows=queryset, common=common)
    return Page(items + page.items, page.next_cursor)
