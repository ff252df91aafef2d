"""Partial number search through the trigram index answers exactly like a scan.

SQLite answers search_digits from an FTS5 table kept by triggers; PostgreSQL from
a pg_trgm GIN index over the same column a scan reads. There the index's answer
is taken with sequential scans switched off (and the plan checked to name the
index), and the scan's with index scans switched off, so the two are really
different readings of the data.
"""

import contextlib
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csrtool.numberpool.models import (
    ENDING_DIGITS,
    FTS_INSERT_TRIGGER,
    FTS_TABLE,
    NumberType,
    PhoneNumber,
)


def generate_numbers(partner, count, *, seed=4):
    rng = random.Random(seed)
    seen = set()
    rows = []
    while len(rows) < count:
        area = rng.choice(["212", "415", "800", "646", "312"])
        line = f"{area}{rng.randrange(2, 10)}{rng.randrange(0, 1_000_000):06d}"
        if line in seen:
            continue
        seen.add(line)
        rows.append(
            PhoneNumber(
                partner=partner,
                number=f"+1{line}",
                dnis=line,
                number_type=NumberType.TOLLFREE if area == "800" else NumberType.LOCAL,
                country_code="1",
                area_code=area,
            )
        )
    PhoneNumber.objects.bulk_create(rows, batch_size=500)
    return rows


TRGM_INDEX = "numberpool_phonenumber_dnis_trgm"


@contextlib.contextmanager
def planner(**switches):
    """PostgreSQL planner switches (enable_seqscan="off", …) for the block."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        for name, value in switches.items():
            cursor.execute(f"SET {name} = {value}")
        try:
            yield
        finally:
            for name in switches:
                cursor.execute(f"RESET {name}")


def scan(term):
    """The numbers whose DNIS holds `term`, read row by row."""
    with planner(enable_indexscan="off", enable_bitmapscan="off"):
        return set(
            PhoneNumber.objects.filter(dnis__contains=term).values_list("pk", flat=True)
        )


def assert_the_index_matches_the_table():
    """SQLite: FTS5's own check of the index against the numbers table (it fails
    on an entry left behind or missing). PostgreSQL: the GIN index is valid and
    ready, so every write since it was built went into it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) "  # noqa: S608
                "VALUES ('integrity-check', 1)"
            )
            return
        cursor.execute(
            "SELECT count(*) FROM pg_index JOIN pg_class ON pg_class.oid = "
            "pg_index.indexrelid WHERE relname = %s AND indisvalid AND indisready",
            [TRGM_INDEX],
        )
        assert cursor.fetchone() == (1,)


def indexed(term):
    """What search_digits answers, from the search index."""
    queryset = PhoneNumber.objects.search_digits(term)
    with planner(enable_seqscan="off"):
        if connection.vendor == "postgresql":
            assert TRGM_INDEX in queryset.explain(), term
        return set(queryset.values_list("pk", flat=True))


def test_the_trigram_search_finds_exactly_what_a_plain_scan_finds(cast):
    generate_numbers(cast.acme, 3000)
    rng = random.Random(9)
    terms = ["555", "800", "1234", "00", "9"] + [
        str(rng.randrange(100, 10_000_000)) for _ in range(30)
    ]
    for term in terms:
        if len(term) >= 3:
            assert indexed(term) == scan(term), term
        else:
            found = PhoneNumber.objects.search_digits(term).values_list("pk", flat=True)
            assert set(found) == set(
                PhoneNumber.objects.filter(dnis__startswith=term).values_list(
                    "pk", flat=True
                )
            ), term
    assert any(len(scan(t)) > 10 for t in terms)


def test_pages_of_four_digits_or_more_hold_every_match_those_ending_in_them_first(
    cast,
):
    from csrtool.numberpool.tests.make import make_number

    generate_numbers(cast.acme, 1500)
    generate_numbers(cast.globex, 200, seed=8)
    for n in range(7):  # 54420 at the end of seven numbers, inside seven more
        make_number(cast.acme, f"31{n}5554420")
        make_number(cast.acme, f"2125442{n:03d}")
        make_number(cast.acme, f"2124420{n:03d}")  # and 4420 inside seven more
    make_number(cast.globex, "6465554420")
    rng = random.Random(3)
    acme = list(PhoneNumber.objects.filter(partner=cast.acme).order_by("number"))
    # Endings that are also inside other numbers, and digits found anywhere.
    terms = ["4420", "54420", "5551", "0000", *(line.dnis[-5:] for line in acme[::300])]
    terms += [rng.choice(acme).dnis[2:8] for _ in range(5)]
    both = set()
    for term in terms:
        matches = scan(term)
        wanted = [
            line.number
            for line in sorted(
                acme, key=lambda line: (not line.dnis.endswith(term), line.number)
            )
            if line.pk in matches
        ]
        queryset = PhoneNumber.objects.for_partner(cast.acme).search_digits(term)
        shown, after = [], None
        for _ in range(len(wanted) + 1):  # pages of two, and an empty last one
            page = queryset.page(after, size=2)
            shown += [line.number for line in page.items]
            if not (after := page.next_cursor):
                break
        assert shown == wanted, term
        ending = sum(number[-len(term) :] == term for number in wanted)
        if 2 < ending < len(wanted):
            both.add(len(term) > ENDING_DIGITS)
    # Terms of four digits and of more whose endings span pages, and which have
    # other matches.
    assert both == {False, True}


def pages(queryset, size):
    """Every page of the queryset in turn, each a list of its numbers."""
    shown, after = [], None
    while True:
        page = queryset.page(after, size=size)
        shown.append([line.number for line in page.items])
        if not (after := page.next_cursor):
            return shown


def test_phone_line_lookup_compiled_once_pages_as_the_queryset_does(cast, actor_of):
    from csrtool.numberpool.tests.make import make_number

    generate_numbers(cast.acme, 600)
    generate_numbers(cast.globex, 300, seed=8)
    for n in range(5):  # 54420 at the end of five numbers, inside five more
        make_number(cast.acme, f"31{n}5554420")
        make_number(
            cast.acme, f"2125442{n:03d}", status="assigned", subscriber=cast.sam
        )
    make_number(cast.globex, "6465554420", status="assigned", subscriber=cast.gus)
    # Three digits (no ending), four (in two parts), more (ranked), with pages
    # whose cursors fall in either part.
    terms = ["442", "4420", "54420", "5544", "212544", "2125442001", "999999"]
    for user in (cast.bob, cast.olivia):
        actor = actor_of(user)
        for term in terms:
            lookup = PhoneNumber.objects.line_lookup(actor, term)
            queryset = (
                PhoneNumber.objects.for_actor(actor)
                .search_digits(term)
                .select_related("subscriber", "partner")
            )
            for size in (3, 50):
                assert pages(lookup, size) == pages(queryset, size), (user, term)
        # Each row comes with its partner and subscriber, read with the page.
        [first, *_] = PhoneNumber.objects.line_lookup(actor, "212544").page(None).items
        with CaptureQueriesContext(connection) as queries:
            assert (first.partner.slug, first.subscriber.pk) == ("acme", cast.sam.pk)
        assert len(queries) == 0


def test_three_digits_many_numbers_hold_are_listed_by_walking_the_pool(
    cast, actor_of, monkeypatch
):
    from csrtool.numberpool import models

    monkeypatch.setattr(models, "COMMON_MATCHES", 40)
    generate_numbers(cast.acme, 600)
    generate_numbers(cast.globex, 300, seed=8)
    # 800 and 415 each start a fifth of the numbers; 999 is in few.
    for user in (cast.bob, cast.olivia):
        actor = actor_of(user)
        every = sorted(PhoneNumber.objects.for_actor(actor), key=lambda n: n.number)
        for term, common in [("800", True), ("415", True), ("999", False)]:
            wanted = [n.number for n in every if term in n.dnis]
            lookup = PhoneNumber.objects.line_lookup(actor, term)
            assert lookup._common() is common, term
            with CaptureQueriesContext(connection) as queries:
                shown = pages(lookup, 7)
            assert [number for page in shown for number in page] == wanted, term
            # The list read through the index in number order, not the
            # trigram index.
            lists = [q["sql"] for q in queries if "ORDER BY" in q["sql"]]
            walked = [
                FTS_TABLE not in sql and "dnis\" || ''" not in sql
                if connection.vendor == "sqlite"
                else "dnis\" || '')" in sql
                for sql in lists
            ]
            assert walked == [common] * len(lists), term


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side prepared statements"
)
def test_phone_line_lookup_is_planned_once_on_the_server(cast, actor_of):
    generate_numbers(cast.acme, 300)
    bob = actor_of(cast.bob)

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%numberpool_phonenumber%LIKE%"],
            )
            return cursor.fetchone()[0]

    before = prepared()
    for digits in ["212541", "415990", "800123", "646712", "312555", "212999"]:
        PhoneNumber.objects.line_lookup(bob, digits).page(None)
    assert prepared() == before + 1


def test_the_index_follows_changes_and_removals_of_numbers(cast):
    rows = generate_numbers(cast.acme, 50)
    first = PhoneNumber.objects.get(dnis=rows[0].dnis)
    first.dnis = "9990001112"
    first.save(update_fields=["dnis"])
    PhoneNumber.objects.filter(dnis=rows[1].dnis).delete()
    added = generate_numbers(cast.acme, 5, seed=77)

    assert indexed("99900011") == {first.pk}
    assert indexed(rows[1].dnis) == set()
    assert indexed(rows[0].dnis) == set()
    assert indexed(added[0].dnis) == {PhoneNumber.objects.get(dnis=added[0].dnis).pk}
    for term in ("212", "800", "0001", rows[2].dnis[3:8]):
        assert indexed(term) == scan(term), term
    assert_the_index_matches_the_table()


def test_the_search_uses_the_trigram_index_not_a_scan(cast):
    generate_numbers(cast.acme, 200)
    queryset = PhoneNumber.objects.search_digits("5551")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan
        else:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "numberpool_phonenumber_dnis_trgm" in plan


@pytest.mark.parametrize("term", ["", "abc", "--"])
def test_a_search_without_digits_finds_nothing(cast, term):
    generate_numbers(cast.acme, 5)
    assert not PhoneNumber.objects.search_digits(term).exists()


def test_part_of_a_number_with_its_country_code_finds_it(cast):
    from csrtool.numberpool.tests.make import make_number

    line = make_number(cast.acme, "8005551234")
    found = list(PhoneNumber.objects.for_partner(cast.acme).search_digits("+1 800 555"))
    assert line in found
    assert line in PhoneNumber.objects.for_partner(cast.acme).search_digits("800-555")


def test_imported_numbers_are_found_and_so_are_numbers_added_after(cast, actor_of):
    from csrtool.numberpool.imports import import_numbers
    from csrtool.numberpool.tests.make import make_number

    alice = actor_of(cast.alice)
    lines = [f"+1800555{n:04d},800555{n:04d},tollfree,1,800," for n in range(40)]
    import_numbers(
        actor=alice,
        text="number,dnis,type,country_code,area_code,subscriber_id\n"
        + "\n".join(lines),
    )
    later = make_number(cast.acme, "8005559999")

    assert len(indexed("555001")) == 10
    assert indexed("55500") == scan("55500")
    assert indexed("5559999") == {later.pk}
    assert indexed("555") == scan("555")
    assert_the_index_matches_the_table()


def test_a_chunk_that_fails_leaves_the_index_and_its_trigger_as_they_were(
    cast, actor_of, monkeypatch
):
    from csrtool.numberpool.imports import import_numbers, jobs
    from csrtool.numberpool.tests.make import make_number

    classify, calls, interfered = jobs.classify, [], []

    def classify_then_interfere(chunk, *, partner):
        # A number of the chunk appears after the chunk was checked: its insert
        # fails on the unique DNIS and the chunk's transaction rolls back.
        subscribers = classify(chunk, partner=partner)
        calls.append(chunk)
        if len(calls) == 2:  # the write's check, after the preview's
            interfered.append(make_number(cast.acme, "8005550003"))
        return subscribers

    monkeypatch.setattr(jobs, "classify", classify_then_interfere)
    lines = [f"+1800555{n:04d},800555{n:04d},tollfree,1,800," for n in range(6)]
    text = "number,dnis,type,country_code,area_code,subscriber_id\n" + "\n".join(lines)

    report = import_numbers(actor=actor_of(cast.alice), text=text)

    assert len(calls) == 3  # the chunk was checked again, then written
    assert report.job.added == 6
    later = make_number(cast.acme, "8005559999")
    assert indexed("5559999") == {later.pk}
    assert indexed("800555") == scan("800555")
    assert_the_index_matches_the_table()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name = %s",
                [FTS_INSERT_TRIGGER],
            )
            assert cursor.fetchone() == (1,)
