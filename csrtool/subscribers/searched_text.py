"""PostgreSQL: a page of matches inside names, addresses, Billing IDs and phones,
read from the narrow table of the searched text (migration subscribers 0009).

Each subscriber's row there holds its partner, its creation time in whole
microseconds and one text: the five searched fields upper-cased, in a fixed
order, separated by the unit separator, which nothing searched for holds (the
lookup drops control characters). So "the address holds `x`" is a LIKE pattern
on that text with the field's place in it, and every condition of the lookup's
`_partial` is one such pattern.

A page is read one of three ways, each without visiting a wide subscriber row:
- the partner's newest COMMON_PROBE rows after the cursor are tested one by
  one, from an index of the partner's rows newest first that carries the text:
  they answer a common text, and a small partner whole;
- where they promise a page in the newest COMMON_WINDOW rows, those are tested
  the same way, WINDOW_STEP rows at a time, stopping at a page, or as soon as
  the rows read no longer promise one;
- a rarer text's hits are read through the trigram index (at most
  COMMON_HITS), with their dates, and put in order in Python.
Only the page's rows are then read whole, from the lookup's own queryset (its
scope, its status, its readiness columns). Where the table cannot settle a
page (a common text beyond the window, rows the queryset leaves out), the
caller's plan answers instead.
"""

import re
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

TABLE = "subscribers_searched_text"
SEPARATOR = "\x1f"
# The fields in the order the text holds them.
FIELDS = ("email_canonical", "first_name", "last_name", "billing_id", "phone")
# The partner's newest rows tested first: they tell a common text from a rare
# one.
COMMON_PROBE = 2000
# The newest rows tested at most before a text's trigram hits are read.
COMMON_WINDOW = 30_000
# How many pages' worth of matches the rows read so far must promise in the
# window for the window to be walked on.
WINDOW_MARGIN = 1.0
# The window is walked this many rows at a time.
WINDOW_STEP = 10_000
# Trigram hits read at most; a text with more is left to the caller.
COMMON_HITS = 5000
# Matches read beyond a page, for rows the queryset leaves out (SQLite's
# lookup reads as many beyond a rare text's page: `search._rare_page`).
SPARE = 10


# The marks pg_trgm breaks words at, which the trigram indexes across marks
# read as digits, and those digits, in order.
MARKS, MARKS_AS = ".@_+-' ", "0123456"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def has_mark(text: str) -> bool:
    return any(ch in MARKS for ch in text)


def marks_as_digits(sql: str) -> str:
    """SQL for the text of `sql` with its marks read as digits."""
    marks = MARKS.replace("'", "''")
    return f"TRANSLATE({sql}, '{marks}', '{MARKS_AS}')"


def microseconds(at: datetime) -> int:
    """A date as whole microseconds since 1970, as the table holds it."""
    return (at - _EPOCH) // timedelta(microseconds=1)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in_fields(first: int, last: int, *texts: str) -> str:
    """A pattern: each text inside the fields `first` to `last`, in that order
    (two texts: the first in field `first`, the second in field `last`)."""
    before = f"%{SEPARATOR}" * first
    after = f"{SEPARATOR}%" * (len(FIELDS) - 1 - last)
    middle = f"%{SEPARATOR}".join(f"%{_like(text)}" for text in texts)
    return f"{before}{middle}%{after}"


def patterns(query: str, *, trigram_min: int, digits: str) -> list[str] | None:
    """The LIKE patterns (before upper-casing) whose union on the searched text
    is what `search._partial` matches for `query`, or None where no pattern
    can be read through a trigram index (fewer than `trigram_min` characters,
    two short names)."""
    if len(query) < trigram_min:
        return None
    email, names = FIELDS.index("email_canonical"), FIELDS.index("first_name")
    billing = FIELDS.index("billing_id")
    if query.isascii():
        found = [_in_fields(email, billing, query)]
    else:
        # An address holds the text case-folded (ß as ss), a name as typed.
        found = [
            _in_fields(email, email, query.casefold()),
            _in_fields(names, billing, query),
        ]
    if " " in query:
        first, _, last = query.partition(" ")
        if max(len(first), len(last)) < trigram_min:
            return None
        found.append(_in_fields(names, FIELDS.index("last_name"), first, last))
    if digits:
        phone = FIELDS.index("phone")
        found.append(_in_fields(phone, phone, digits))
    return found


def _walk_condition(found: list[str]) -> tuple[str, list]:
    sql = " OR ".join(["text LIKE UPPER(%s)"] * len(found))
    return f"({sql})", list(found)


def rarer_part(text: str, shared: str) -> str:
    """The longest part of `text` (three characters or more) that holds none
    of the trigrams of `shared`, in any case; empty if there is none."""
    lowered = text.lower()
    held = {shared[n : n + 3] for n in range(len(shared) - 2)}
    rarer, start = "", 0
    for n in range(len(lowered) - 2):
        if lowered[n : n + 3] in held:
            start = n + 1
        elif n + 3 - start > len(rarer):
            rarer = text[start : n + 3]
    return rarer


# Patterns longer than this are read through the index as they are.
_SHARED_TEXT_MAX = 64
# Characters of a pattern's own text the shared text may leave out: each one
# left out is a trigram the index no longer narrows the rows by.
_SHARED_TEXT_SLACK = 2


def _texts(pattern: str) -> list[str]:
    """The texts a pattern holds, upper-cased (its fields and wildcards left
    out)."""
    return [text.upper() for text in re.split("[%\x1f]", pattern) if text]


def _shared_text(found: list[str]) -> str:
    """The longest text that each pattern holds whole, so that every row any
    of them matches holds it too, where it is nearly all of each pattern's own
    text (`1-90834` anywhere or `190834` in a phone: `90834`); empty if there
    is none such, or if a pattern holds an escaped character or other than
    ASCII (whose upper case Python and the database might write apart)."""
    if any("\\" in pattern or not pattern.isascii() for pattern in found):
        return ""
    pieces = [_texts(pattern) for pattern in found]
    least = min(sum(len(piece) for piece in arm) for arm in pieces)
    first = max(pieces[0], key=len, default="")
    shortest = max(3, least - _SHARED_TEXT_SLACK)
    for length in range(min(len(first), _SHARED_TEXT_MAX), shortest - 1, -1):
        for start in range(len(first) - length + 1):
            text = first[start : start + length]
            if all(any(text in piece for piece in arm) for arm in pieces):
                return text
    return ""


def _hits_condition(found: list[str], shared: str = "") -> tuple[str, list]:
    """The patterns through the trigram index of the text with its marks read
    as digits, and checked against the text itself.

    Where the patterns all hold one text, one reading of the index for it
    serves them all (two readings of the same trigrams took twice as long);
    its part without the trigrams of `shared`, the start every Billing ID of
    the partner shares, where that is three characters or more (the trigram
    `P14` of `P1-` is in every row: `P1-1085` read 7.0 ms, `1-1085` 3.3 ms).
    Otherwise each pattern is read through the index on its own."""
    text = _shared_text(found)
    if text and shared:
        text = rarer_part(text, shared) or text
    if not text or (len(found) == 1 and [text] == _texts(found[0])):
        arm = f"(marks LIKE {marks_as_digits('UPPER(%s)')} AND text LIKE UPPER(%s))"
        return f"({' OR '.join([arm] * len(found))})", [
            value for pattern in found for value in (pattern, pattern)
        ]
    held = " OR ".join(["text LIKE UPPER(%s)"] * len(found))
    return f"(marks LIKE {marks_as_digits('UPPER(%s)')} AND ({held}))", [
        f"%{text}%",
        *found,
    ]


def _after(position) -> tuple[str, list]:
    if position is None:
        return "", []
    at, last = position
    return "AND (created_us, id) < (%s, %s) ", [microseconds(at), last]


_NEWEST_FIRST = "created_us DESC, id DESC"


def _newest(partner: int, position, count: int) -> tuple[str, list]:
    """SQL for the partner's newest `count` rows after the position, read from
    the index that carries the text, and its parameters."""
    after, params = _after(position)
    statement = (
        f"SELECT created_us, id, text FROM {TABLE} WHERE partner_id = %s "  # noqa: S608
        f"{after}ORDER BY {_NEWEST_FIRST} LIMIT {count}"
    )
    return statement, [partner, *params]


def _probe(partner: int, found: list[str], position) -> tuple[int, list[tuple]]:
    """Of the partner's newest COMMON_PROBE rows after the position: how many
    there are, and those that match, newest first."""
    newest, newest_params = _newest(partner, position, COMMON_PROBE)
    condition, params = _walk_condition(found)
    statement = (
        f"SELECT count(*), array_agg(created_us ORDER BY {_NEWEST_FIRST}) "  # noqa: S608
        f"FILTER (WHERE {condition}), array_agg(id ORDER BY {_NEWEST_FIRST}) "
        f"FILTER (WHERE {condition}) FROM ({newest}) newest"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *params, *newest_params])
        read, dates, ids = cursor.fetchone()
    return read, list(zip(dates or [], ids or [], strict=True))


def _walk(
    partner: int, found: list[str], position, skip: int, count: int, limit: int
) -> tuple[list[tuple], bool]:
    """Of the partner's newest rows after the position, past the first `skip`,
    the first `limit` of the next `count` that match, newest first; and whether
    the partner's oldest row was read among them (the walk can go no further):
    that row comes with them, matching or not, as the last."""
    newest, newest_params = _newest(partner, position, count)
    condition, params = _walk_condition(found)
    oldest = (
        f"(SELECT id FROM {TABLE} WHERE partner_id = %s "  # noqa: S608
        f"ORDER BY created_us, id LIMIT 1)"
    )
    statement = (
        f"SELECT created_us, id, {condition}, id = {oldest} "  # noqa: S608
        f"FROM ({newest} OFFSET {skip}) newest "
        f"WHERE {condition} OR id = {oldest} "
        f"ORDER BY {_NEWEST_FIRST} LIMIT {limit + 1}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, partner, *newest_params, *params, partner])
        rows = cursor.fetchall()
    ended = bool(rows) and bool(rows[-1][3])
    return [(at, pk) for at, pk, matches, _ in rows if matches][:limit], ended


def _promising(matched: int, read: int, size: int) -> bool:
    """Whether `matched` matches in the newest `read` rows promise a page in
    the window (WINDOW_MARGIN pages' worth, at that rate)."""
    return matched * COMMON_WINDOW >= WINDOW_MARGIN * (size + 1) * read


def _hits(partner: int, found: list[str], position, shared: str) -> list[tuple]:
    """Up to COMMON_HITS of the partner's rows that match after the position,
    through the trigram index alone (the planner, which cannot know how many
    rows match, might walk the partner's rows instead, or read all of them
    through their index: the partner is compared as `partner_id + 0`, which no
    index serves), without parallel workers, which read past the LIMIT.
    `shared`: see `_hits_condition`."""
    after, after_params = _after(position)
    condition, params = _hits_condition(found, shared)
    statement = (
        f"SELECT created_us, id FROM {TABLE} "  # noqa: S608
        f"WHERE {condition} AND partner_id + 0 = %s {after}LIMIT {COMMON_HITS}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true), "
            "set_config('enable_seqscan', 'off', true), "
            "set_config('enable_indexscan', 'off', true), "
            "set_config('enable_indexonlyscan', 'off', true)"
        )
        cursor.execute(statement, [*params, partner, *after_params])
        hits = cursor.fetchall()
        transaction.set_rollback(True)
    return hits


def candidates(
    partner: int, found: list[str], position, size: int, shared=lambda: ""
) -> tuple[list[tuple], bool] | None:
    """The partner's rows matching the patterns after the position, newest
    first, as (microseconds, id): a page's worth and SPARE more, or every one
    of a rarer text's; and whether they are every such row. None for a common
    text whose matches the window does not hold.

    The newest COMMON_PROBE rows tell which way is cheaper: a text they hold
    often enough to fill a page in the window is read from the window, a rarer
    one from its trigram hits. Each step of the window tells again: a text
    the probe took for common, and the step shows rarer, turns to its hits
    without reading the rest of the window. A step that reaches the partner's
    oldest row has read them all: a partner smaller than the window is walked
    once, not again past its end, and needs no hits. `shared()` gives the start
    the partner's Billing IDs share, read only where the hits are."""
    limit = size + 1 + SPARE
    read, probed = _probe(partner, found, position)
    if len(probed) > size:
        return probed[:limit], False
    if read < COMMON_PROBE:
        return probed, True
    walked = probed
    while read < COMMON_WINDOW and _promising(len(walked), read, size):
        # The window, a step at a time: each step tells more surely than the
        # probe whether the rest of the window holds a page.
        step = min(WINDOW_STEP, COMMON_WINDOW - read)
        matched, ended = _walk(
            partner, found, position, read, step, limit - len(walked)
        )
        walked += matched
        read += step
        if len(walked) > size:
            # A page, read from the window: rows past it are not known.
            return walked, False
        if ended:
            # Every one of the partner's rows after the position was read.
            return walked, True
    hits = _hits(partner, found, position, shared())
    if len(hits) >= COMMON_HITS:
        return None
    hits.sort(reverse=True)
    return hits, True
