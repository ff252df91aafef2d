"""A partner's lookup inside text reads its pages every way it can, in the
order a scan gives; on PostgreSQL from the narrow table of the searched text,
which follows every write to the subscribers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from csrtool.conftest import make_subscriber
from csrtool.features.readiness import annotate_readiness
from csrtool.subscribers import search, searched_text
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.search import exact_filter, scan_filter
from csrtool.subscribers.tests.test_lookup_index import (
    READINGS,
    _plan_subscribers,
    _plans,
    scanned,
)

postgresql_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="SQLite searches inside text through its FTS5 table",
)


def searched(subscriber) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, created_us, text, marks "
            "FROM subscribers_searched_text WHERE id = %s",
            [subscriber.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    partner, created_us, text, marks = row
    assert partner == subscriber.partner_id
    assert created_us == searched_text.microseconds(subscriber.created_at)
    assert marks == text.translate(str.maketrans(".@_+-' ", "0123456"))
    return text


@postgresql_only
def test_the_searched_text_follows_every_write(cast):
    ada = make_subscriber(
        cast.acme,
        email="Ada.King@Analytical.example",
        first_name="Ada",
        last_name="Byron",
        billing_id="inv-7",
        phone="+12125550123",
    )
    assert searched(ada) == (
        "ADA.KING@ANALYTICAL.EXAMPLE\x1fADA\x1fBYRON\x1fINV-7\x1f+12125550123"
    )
    Subscriber.objects.filter(pk=ada.pk).update(last_name="Lovelace")
    assert searched(ada) == (
        "ADA.KING@ANALYTICAL.EXAMPLE\x1fADA\x1fLOVELACE\x1fINV-7\x1f+12125550123"
    )
    ada.refresh_from_db()
    ada.billing_id, ada.phone = "Inv-8", "+442079460000"
    ada.save()
    assert searched(ada).endswith("\x1fLOVELACE\x1fINV-8\x1f+442079460000")
    made = Subscriber.objects.bulk_create(
        [
            Subscriber(
                partner=cast.globex,
                first_name="Grace",
                last_name="Hopper",
                email="grace@navy.example",
                email_canonical="grace@navy.example",
                phone="+12125550199",
                time_zone="UTC",
                billing_id="G-1",
            )
        ]
    )
    assert searched(made[0]) == (
        "GRACE@NAVY.EXAMPLE\x1fGRACE\x1fHOPPER\x1fG-1\x1f+12125550199"
    )
    acme = Subscriber.objects.for_partner(cast.acme)
    assert [s.pk for s in acme.lookup("ovelac").items] == [ada.pk]
    assert acme.lookup("byron").items == []
    ada.delete()
    assert searched(ada) is None
    assert acme.lookup("ovelac").items == []
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE subscribers_subscriber CASCADE")
        cursor.execute("SELECT count(*) FROM subscribers_searched_text")
        assert cursor.fetchone() == (0,)


def _pages(lookup, size=2) -> list[int]:
    seen, cursor = [], None
    for _ in range(50):
        page = lookup(cursor=cursor, size=size)
        seen += [s.pk for s in page.items]
        if not (cursor := page.next_cursor):
            return seen
    raise AssertionError(f"no last page after 50 pages: {seen}")


def _people(cast) -> None:
    """Acme's subscribers: matches of `fairweath` in every field but the
    phone, some of them suspended, and rows that do not match between."""
    fields = ["email", "first_name", "last_name", "billing_id"]
    for n in range(24):
        values = {
            "email": f"p{n}@common.example",
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "billing_id": f"B-{n}",
        }
        if n % 3:
            field = fields[n % 4]
            values[field] = (
                f"p{n}.fairweather@common.example"
                if field == "email"
                else "FAIRWEATHER"
            )
        subscriber = make_subscriber(cast.acme, **values)
        if n % 5 == 0:
            Subscriber.objects.filter(pk=subscriber.pk).update(status=Status.SUSPENDED)
    make_subscriber(cast.globex, email="g@common.example", last_name="Fairweather")


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("status", ["", Status.SUSPENDED, Status.PENDING_ACTIVATION])
def test_a_partner_lookup_pages_as_a_scan_orders_it(
    cast, actor_of, monkeypatch, reading, status
):
    """Whichever way a page is read, and whatever the lookup's own filter
    leaves out of the rows the table gives, the pages are the scan's."""
    for name, value in READINGS[reading].items():
        monkeypatch.setattr(searched_text, name, value)
    # No matches read beyond a page: the filter leaves some of those out.
    monkeypatch.setattr(searched_text, "SPARE", 0)
    _people(cast)
    alice = actor_of(cast.alice)
    acme = Subscriber.objects.for_partner(cast.acme)
    if status:
        acme = acme.filter(status=status)
    expected = list(
        acme.filter(scan_filter("fairweath"))
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) > 2
    with CaptureQueriesContext(connection) as queries:
        pages = _pages(
            lambda **kw: search.lookup_for(
                alice, "fairweath", status=status, annotate=annotate_readiness, **kw
            )
        )
    assert pages == expected
    if connection.vendor == "postgresql" and reading != "too many hits" and not status:
        # The table settled every page: the subscriber table was never searched.
        searched = [q["sql"] for q in queries if " LIKE " in q["sql"]]
        assert all("subscribers_subscriber" not in sql for sql in searched), searched


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("5512", []),  # four digits: inside a phone only when typed as one
        ("55512", ["ada"]),
        ("(212) 555-12", ["ada"]),
        ("king@a", ["ada"]),
        ("LACE", ["ada", "grace"]),  # a first name, a last name
        ("Ada Love", ["ada"]),  # a first name, then a last name
        ("Love Ada", []),
        ("Straße", ["erna", "max"]),  # an address case-folded, a name as typed
        ("inv-", ["grace"]),
        ("a.ki", ["ada"]),
    ],
)
def test_each_field_is_searched_as_a_scan_searches_it(
    cast, actor_of, monkeypatch, reading, query, found
):
    for name, value in READINGS[reading].items():
        monkeypatch.setattr(searched_text, name, value)
    people = {
        "ada": make_subscriber(
            cast.acme,
            email="ada.king@analytical.example",
            first_name="Ada",
            last_name="Lovelace",
            phone="+12125551234",
        ),
        "grace": make_subscriber(
            cast.acme,
            email="grace@navy.example",
            first_name="Gracelace",
            last_name="Hopper",
            billing_id="INV-1",
            phone="+12125550777",
        ),
        "max": make_subscriber(
            cast.acme, email="max.strasse@example.com", phone="+12125559001"
        ),
        "erna": make_subscriber(
            cast.acme,
            email="erna@example.com",
            last_name="Straße",
            phone="+12125559002",
        ),
    }
    make_subscriber(cast.globex, email="other@analytical.example", first_name="Ada")
    acme = Subscriber.objects.for_partner(cast.acme)
    wanted = {people[name].pk for name in found}
    scanned = acme.filter(scan_filter(query, region="US")).values_list("pk", flat=True)
    assert set(scanned) == wanted
    assert set(_pages(lambda **kw: acme.lookup(query, region="US", **kw))) == wanted
    # As the page, the API and the CLI make it (the page's rows prepared).
    alice = actor_of(cast.alice)
    assert set(_pages(lambda **kw: search.lookup_for(alice, query, **kw))) == wanted


@pytest.mark.parametrize("reading", READINGS)
def test_whole_billing_ids_come_first_then_the_rest_from_the_table(
    cast, actor_of, monkeypatch, reading
):
    for name, value in READINGS[reading].items():
        monkeypatch.setattr(searched_text, name, value)
    inside = [
        make_subscriber(cast.acme, email=f"i{n}@b.example", billing_id=f"X-INV-4{n}")
        for n in range(4)
    ]
    whole = [
        make_subscriber(cast.acme, email=f"w{n}@b.example", billing_id="INV-4")
        for n in range(3)
    ]
    acme = Subscriber.objects.for_partner(cast.acme)
    exact = acme.filter(exact_filter("INV-4")).values_list("pk", flat=True)
    assert set(exact) == {s.pk for s in whole}
    expected = [s.pk for s in reversed(whole)] + [s.pk for s in reversed(inside)]
    assert _pages(lambda **kw: acme.lookup("INV-4", **kw)) == expected
    # As the page, the API and the CLI make it (the page's rows prepared).
    alice = actor_of(cast.alice)
    assert _pages(lambda **kw: search.lookup_for(alice, "INV-4", **kw)) == expected


@postgresql_only
def test_a_rare_texts_page_is_read_from_the_tables_trigram_index(cast, monkeypatch):
    """The newest rows first, then the hits of the trigram index over the
    searched text; of the subscriber table, only the page's rows by id."""
    monkeypatch.setattr(searched_text, "COMMON_PROBE", 100)
    # Older than the rest: the newest rows do not hold it.
    rare = make_subscriber(cast.acme, email="rare.one@plan.example", last_name="Quxzo")
    _plan_subscribers(cast.acme)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscribers_subscriber")
        cursor.execute("ANALYZE subscribers_searched_text")
        cursor.execute("SET enable_seqscan = off")
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    for query in ("uxzo", "e.one@pl"):
        with _plans() as plans:
            page = acme.lookup(query, size=5)
        assert [s.pk for s in page.items] == [rare.pk]
        table = [plan for plan in plans if "subscribers_searched_text" in plan]
        assert len(table) == 2, plans
        probe, hits = table
        assert "Scan using subscribers_searched_text_newest" in probe, probe
        assert "Bitmap Index Scan on subscribers_searched_text_trgm" in hits, hits
        # Its marks read as digits: `e.one@pl` is E0ONE1PL, as rare as itself.
        assert "'%E0ONE1PL%" in hits or query == "uxzo", hits
        rows = [plan for plan in plans if "subscribers_subscriber" in plan]
        for plan in rows[1:]:
            assert "Index Scan using subscribers_subscriber_pkey" in plan, plan
            assert "trgm" not in plan and "subscriber_newest" not in plan, plan


@postgresql_only
def test_patterns_that_all_hold_one_text_read_the_trigram_index_once_for_it(
    cast, monkeypatch
):
    """`1-90834` inside a name, an address or a Billing ID, or `190834` inside
    a phone: every match holds `90834`, which the trigram index is read for
    once. A part of a Billing ID is read there without the start that every
    Billing ID of the partner shares (`P1-`, a trigram in each row)."""
    monkeypatch.setattr(searched_text, "COMMON_PROBE", 1)
    monkeypatch.setattr(searched_text, "COMMON_WINDOW", 1)
    billing = make_subscriber(cast.acme, email="b@x.example", billing_id="P1-90834")
    phone = make_subscriber(
        cast.acme, email="p@x.example", billing_id="P1-00001", phone="+12125190834"
    )
    make_subscriber(
        cast.acme, email="o@x.example", billing_id="P1-00002", phone="+12125908340"
    )
    # Every Billing ID of the partner starts `P1-`.
    Subscriber.objects.filter(pk=cast.sam.pk).update(billing_id="P1-00003")
    _plan_subscribers(cast.acme, billing="P1-1{:04}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscribers_searched_text")
    acme = Subscriber.objects.for_partner(cast.acme)
    for query, matched, index_reads in [
        ("1-90834", {billing, phone}, "'%90834%'"),
        ("P1-908", {billing}, "'%14908%'"),
    ]:
        with _plans() as plans:
            page = acme.lookup(query, size=5)
        assert {s.public_id for s in page.items} == {s.public_id for s in matched}
        assert {s.public_id for s in matched} == scanned(acme, query, region="US")
        [hits] = [plan for plan in plans if "subscribers_searched_text_trgm" in plan]
        assert "BitmapOr" not in hits, hits
        assert f"Index Cond: (marks ~~ {index_reads}" in hits, hits


@postgresql_only
def test_a_window_that_turns_out_rarer_than_promised_is_left_for_the_hits(
    cast, monkeypatch
):
    """The probe's newest row matches, so the window promises a page; its
    first step holds no match, so the rest of the window is not read: the
    trigram hits give the page, as a scan orders it."""
    for name, value in [("COMMON_PROBE", 1), ("WINDOW_STEP", 4), ("COMMON_WINDOW", 10)]:
        monkeypatch.setattr(searched_text, name, value)
    older = [
        make_subscriber(cast.acme, email=f"o{n}@w.example", last_name="Fairweather")
        for n in range(3)
    ]
    for n in range(8):
        make_subscriber(cast.acme, email=f"x{n}@w.example", last_name="Other")
    newest = make_subscriber(cast.acme, email="n@w.example", last_name="Fairweather")
    acme = Subscriber.objects.for_partner(cast.acme)
    with CaptureQueriesContext(connection) as queries:
        page = acme.lookup("fairweath", size=2)
    assert [s.pk for s in page.items] == [newest.pk, older[2].pk]
    assert _pages(lambda **kw: acme.lookup("fairweath", **kw)) == [
        newest.pk,
        *[s.pk for s in reversed(older)],
    ]
    walked = [q["sql"] for q in queries if " OFFSET " in q["sql"]]
    assert len(walked) == 1, walked


@postgresql_only
def test_a_partner_smaller_than_the_window_is_walked_to_its_oldest_row_once(
    cast, monkeypatch
):
    """The window promises a page but holds more rows than the partner: the
    walk stops at the partner's oldest row, which settles the page without
    reading the rows again or asking the trigram index."""
    for name, value in [
        ("COMMON_PROBE", 1),
        ("WINDOW_STEP", 8),
        ("COMMON_WINDOW", 100),
        ("WINDOW_MARGIN", 0),
    ]:
        monkeypatch.setattr(searched_text, name, value)
    oldest = make_subscriber(cast.acme, email="o@w.example", last_name="Fairweather")
    for n in range(6):
        make_subscriber(cast.acme, email=f"x{n}@w.example", last_name="Other")
    newest = make_subscriber(cast.acme, email="n@w.example", last_name="Fairweather")
    make_subscriber(cast.globex, email="g@w.example", last_name="Fairweather")
    acme = Subscriber.objects.for_partner(cast.acme)
    with CaptureQueriesContext(connection) as queries:
        page = acme.lookup("fairweath", size=5)
    assert [s.pk for s in page.items] == [newest.pk, oldest.pk]
    assert page.next_cursor is None
    walked = [q["sql"] for q in queries if " OFFSET " in q["sql"]]
    assert len(walked) == 1, walked
    assert not [q["sql"] for q in queries if "marks LIKE" in q["sql"]], queries
