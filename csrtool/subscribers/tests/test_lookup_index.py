"""Subscriber Lookup through its indexes finds what a plain scan finds, keeps the
trigram index in step with every write, ranks whole-key matches first, and its
queries are answered by indexes rather than by reading the table."""

from contextlib import ExitStack, contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrtool.conftest import make_subscriber
from csrtool.features.readiness import annotate_readiness
from csrtool.subscribers import search, searched_text
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.search import (
    exact_filter,
    key_filter,
    scan_filter,
    search_filter,
)


def found(queryset, query, **kwargs) -> set[str]:
    return set(
        queryset.filter(search_filter(query, **kwargs)).values_list(
            "public_id", flat=True
        )
    )


def scanned(queryset, query, **kwargs) -> set[str]:
    return set(
        queryset.filter(scan_filter(query, **kwargs)).values_list(
            "public_id", flat=True
        )
    )


def scanned_newest_first(queryset, query) -> list[int]:
    """The ids a scan finds, in a lookup's order."""
    found = queryset.filter(scan_filter(query)).order_by("-created_at", "-id")
    return list(found.values_list("pk", flat=True))


def test_the_trigram_index_follows_every_write(cast):
    acme = Subscriber.objects.for_partner(cast.acme)
    ada = make_subscriber(
        cast.acme, email="ada@analytical.example", first_name="Ada", last_name="Byron"
    )
    assert found(acme, "byron") == {ada.public_id}
    Subscriber.objects.filter(pk=ada.pk).update(last_name="Lovelace")
    assert found(acme, "byron") == set()
    assert found(acme, "lovelace") == {ada.public_id}
    Subscriber.objects.filter(pk=ada.pk).update(status="active")  # not searched
    assert found(acme, "lovelace") == {ada.public_id}
    ada.delete()
    assert found(acme, "lovelace") == set()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO subscribers_subscriber_fts(subscribers_subscriber_fts, "
                "rank) VALUES ('integrity-check', 1)"
            )


def test_a_text_whose_case_folds_to_more_letters_finds_addresses_as_a_scan(cast):
    # Addresses are searched case-folded (ß as ss), names as typed.
    acme = Subscriber.objects.for_partner(cast.acme)
    street = make_subscriber(
        cast.acme, email="max.strasse@example.com", first_name="Max", last_name="Weber"
    )
    named = make_subscriber(
        cast.acme, email="erna@example.com", first_name="Erna", last_name="Straße"
    )
    wanted = {street.public_id, named.public_id}
    assert found(acme, "Straße") == scanned(acme, "Straße") == wanted


def test_a_lookup_page_finds_a_non_ascii_name_as_a_scan_does(cast, actor_of):
    """The trigram index folds the case of every letter; a scan of names, as
    typed, folds it as the database does (SQLite: only A to Z). A page holds
    what the scan finds, not what the index alone would."""
    acme = Subscriber.objects.for_partner(cast.acme)
    lower = make_subscriber(cast.acme, email="e1@example.com", last_name="Mélodie")
    upper = make_subscriber(cast.acme, email="e2@example.com", last_name="MÉLODIE")
    expected = scanned(acme, "élodi")
    assert lower.public_id in expected
    assert (upper.public_id in expected) == (connection.vendor == "postgresql")
    assert {s.public_id for s in acme.lookup("élodi").items} == expected
    # As the page, the API and the CLI make it (the page's rows prepared).
    found = search.lookup_for(actor_of(cast.alice), "élodi").items
    assert {s.public_id for s in found} == expected


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("l.shea", ["dot"]),
        ("l0shea", ["digit"]),
        ("l_shea", ["underscore"]),
        ("0shea@", ["digit"]),
        ("shea@ex", ["dot", "digit", "underscore"]),
    ],
)
def test_marks_inside_a_part_of_an_address_match_only_themselves(cast, query, wanted):
    """The address trigrams read the marks `.@_+-` as digits on PostgreSQL; what
    was typed still finds only the addresses that hold it, marks and all."""
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    made = {
        name: make_subscriber(cast.acme, email=f"{local}@example.com").public_id
        for name, local in [
            ("dot", "l.shea"),
            ("digit", "l0shea"),
            ("underscore", "l_shea"),
        ]
    }
    expected = {made[name] for name in wanted}
    assert found(acme, query) == scanned(acme, query) == expected
    assert {s.public_id for s in acme.lookup(query).items} == expected


def test_a_whole_address_is_the_answer_and_nothing_else_is_searched(cast):
    exact = make_subscriber(cast.acme, email="ann@ranking.example")
    make_subscriber(cast.acme, email="joann@ranking.example")
    acme = Subscriber.objects.for_partner(cast.acme)
    with CaptureQueriesContext(connection) as captured:
        page = acme.lookup("ANN@ranking.example")
    assert [s.pk for s in page.items] == [exact.pk]
    assert page.next_cursor is None
    assert len(captured) == 1


def test_a_whole_billing_id_comes_first_then_the_rest_newest_first(cast):
    longer = make_subscriber(cast.acme, email="a@r.example", billing_id="XINV-9")
    exact = make_subscriber(cast.acme, email="b@r.example", billing_id="INV-9")
    newer = make_subscriber(cast.acme, email="c@r.example", billing_id="INV-99")
    page = Subscriber.objects.for_partner(cast.acme).lookup("INV-9")
    assert [s.pk for s in page.items] == [exact.pk, newer.pk, longer.pk]
    assert page.next_cursor is None


def test_a_full_page_of_whole_key_matches_leads_to_the_rest(cast):
    shared = [
        make_subscriber(cast.acme, email=f"b{n}@billing.example", billing_id="B-77")
        for n in range(3)
    ]
    partial = make_subscriber(cast.acme, email="c@billing.example", billing_id="XB-77")
    acme = Subscriber.objects.for_partner(cast.acme)
    seen, cursor = [], None
    while True:
        page = acme.lookup("B-77", size=2, cursor=cursor)
        seen += [s.pk for s in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == [s.pk for s in reversed(shared)] + [partial.pk]


def test_one_or_two_characters_find_whole_names_in_any_case(cast, client_for):
    wu = make_subscriber(cast.acme, email="w@short.example", last_name="Wu")
    make_subscriber(cast.acme, email="wunder@short.example", last_name="Wunder")
    acme = Subscriber.objects.for_partner(cast.acme)
    assert found(acme, "wu") == {wu.public_id}
    page = client_for(cast.bob).get("/subscribers/", {"q": "WU"}).content.decode()
    assert wu.public_id in page
    assert "Type three or more to search inside" in page


# The ways a PostgreSQL lookup reads a page of matches inside text
# (`searched_text.candidates`), each made likely at a few rows.
# (SQLite reads every page one way, through its FTS5 table.)
READINGS = {
    "newest rows": {"COMMON_PROBE": searched_text.COMMON_PROBE},  # as it stands
    "window": {"COMMON_PROBE": 1, "COMMON_WINDOW": 3, "WINDOW_MARGIN": 0},
    "window in steps": {
        "COMMON_PROBE": 1,
        "COMMON_WINDOW": 6,
        "WINDOW_STEP": 2,
        "WINDOW_MARGIN": 0,
    },
    "trigram hits": {"COMMON_PROBE": 1, "COMMON_WINDOW": 1},
    "too many hits": {"COMMON_PROBE": 1, "COMMON_WINDOW": 1, "COMMON_HITS": 1},
}
if connection.vendor != "postgresql":
    READINGS = {"newest rows": READINGS["newest rows"]}


# Names, addresses and Billing IDs from a small alphabet, so that generated
# queries often match several rows, in part or whole, in any case.
word = st.text(st.sampled_from("abcAB-. é"), min_size=1, max_size=8).map(str.strip)


@pytest.mark.django_db
@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    people=st.lists(
        st.tuples(word, word, word, word, st.sampled_from(["0100", "5123", "9555"])),
        min_size=1,
        max_size=8,
    ),
    pick=st.integers(min_value=0, max_value=400),
    length=st.integers(min_value=1, max_value=8),
    reading=st.sampled_from(list(READINGS)),
)
def test_the_indexed_search_finds_what_a_scan_finds(
    cast, people, pick, length, reading
):
    made = []
    for n, (first, last, local, billing, tail) in enumerate(people):
        made.append(
            make_subscriber(
                cast.acme,
                email=f"{local.replace(' ', '')}{n}@Gen.example",
                first_name=first or "x",
                last_name=last or "y",
                billing_id=billing or "z",
                phone=f"+1212555{tail}",
            )
        )
    texts = [
        f"{s.first_name} {s.last_name} {s.email_canonical} {s.billing_id} {s.phone}"
        for s in made
    ]
    text = texts[pick % len(texts)]
    start = pick % max(1, len(text) - length)
    query = text[start : start + length]
    stack = ExitStack()
    try:
        acme = Subscriber.objects.for_partner(cast.acme)
        assert found(acme, query, region="US") == scanned(acme, query, region="US")
        # PostgreSQL reads a page from the newest rows, from a window of them
        # or from the trigram hits: small thresholds stand for a million rows.
        stack.enter_context(mock.patch.multiple(searched_text, **READINGS[reading]))
        pages, cursor = [], None
        while True:
            page = acme.lookup(query, region="US", size=2, cursor=cursor)
            pages += [s.public_id for s in page.items]
            if not (cursor := page.next_cursor):
                break
        assert len(pages) == len(set(pages))
        if acme.filter(key_filter(query, region="US")).exists():
            expected = acme.filter(exact_filter(query, region="US"))
            assert set(pages) == set(expected.values_list("public_id", flat=True))
        else:
            assert set(pages) == scanned(acme, query, region="US")
        assert cast.gus.public_id not in pages
    finally:
        stack.close()
        Subscriber.objects.filter(pk__in=[s.pk for s in made]).delete()


@contextmanager
def _plans():
    """The plan of every SELECT run inside, read as it runs (in its own
    transaction, with the settings the code gave it there)."""
    plans = []

    def explain(execute, sql, params, many, context):
        if sql.startswith("SELECT"):
            cursor = context["cursor"]
            if connection.vendor == "sqlite":
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                plans.append("\n".join(row[-1] for row in cursor.fetchall()))
            else:
                cursor.execute(f"EXPLAIN {sql}", params)
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        yield plans


def _plan_subscribers(partner, count=3000, billing="INV-{}") -> None:
    """Enough of a partner's subscribers for a query plan to be read (the
    Billing IDs in the format of `billing`, of each one's number)."""
    Subscriber.objects.bulk_create(
        Subscriber(
            partner=partner,
            first_name=f"Ada{n}",
            last_name=f"Lovelace{n}",
            email=f"subscriber{n}@plan.example",
            email_canonical=f"subscriber{n}@plan.example",
            phone=f"+1212555{n:04}",
            time_zone="UTC",
            billing_id=billing.format(n),
        )
        for n in range(count)
    )


@pytest.mark.parametrize(
    "query",
    [
        "subscriber0@plan.example",  # whole address
        "SUBSCRIBER0@PLAN.EXAMPLE",
        "(212) 555-0000",  # whole phone
        # Rare parts: a common one is rightly found by walking the newest rows.
        "ovelace1234",  # inside a name
        "iber1234@pl",  # inside an address
        "inv-1234",  # inside a Billing ID
        "Ada1234 Lovelace1234",
        "Wu",  # short: whole names
        "Al Li",
    ],
)
def test_every_lookup_is_answered_by_an_index(cast, query):
    _plan_subscribers(cast.acme)
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # 3,000 rows are cheaper to read whole; forbid that, and the plan
            # shows which index answers (at a million rows the planner picks it).
            cursor.execute("ANALYZE subscribers_subscriber")
            cursor.execute("SET enable_seqscan = off")
    with _plans() as plans:
        page = acme.lookup(query, region="US", size=5)
        acme.lookup(query, region="US", size=5, cursor=page.next_cursor)
    assert page.items or query in ("Wu", "Al Li")
    assert plans
    for plan in plans:
        # Walking the partner's rows in date order and testing each is a scan.
        assert "subscriber_newest" not in plan, plan
        if connection.vendor == "sqlite":
            read = plan.replace("subscribers_subscriber_fts VIRTUAL", "")
            assert "SCAN subscribers_subscriber" not in read, plan
        else:
            assert "Seq Scan on subscribers_subscriber" not in plan, plan


def test_a_rare_texts_hits_are_put_in_order_from_the_narrow_index_of_dates(cast):
    """SQLite: the trigram match's hits are put in order from the index of
    dates by id, without a visit to a wide row; then only the page's rows are
    read whole, by id, not sought first in the partner's index."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL reads the hits with their dates (bitmap scans)")
    _plan_subscribers(cast.acme)
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    with _plans() as plans:
        page = acme.lookup("ovelace1234", size=5)
    assert [s.last_name for s in page.items] == ["Lovelace1234"]
    (ordered,) = [plan for plan in plans if "json_each" in plan]
    assert "USING COVERING INDEX subscriber_dated (id=? AND partner_id=?)" in ordered
    read = plans[-1]  # the page's rows
    assert read.splitlines()[0].endswith("USING INTEGER PRIMARY KEY (rowid=?)"), read


def test_a_rare_texts_page_is_read_by_id_as_the_page_the_api_and_the_cli_read_it(
    cast, actor_of
):
    """SQLite: as the page, the API and the CLI make a lookup, the page's rows
    are read by id from a list bound as one value, each row checked against
    what a scan matches; the whole keys are left out, as before."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL reads the page's rows after the searched text")
    _plan_subscribers(cast.acme)
    Subscriber.objects.filter(last_name="Lovelace1234").update(billing_id="lace123")
    alice = actor_of(cast.alice)
    with _plans() as plans:
        page = search.lookup_for(alice, "ovelace1234", annotate=annotate_readiness)
    assert [s.last_name for s in page.items] == ["Lovelace1234"]
    assert page.items[0].partner == cast.acme
    read = plans[-1]
    assert read.splitlines()[0].endswith("USING INTEGER PRIMARY KEY (rowid=?)"), read
    assert "json_each" in read, read
    page = search.lookup_for(alice, "lace123")
    # The whole Billing ID first, then the rest newest first, each once.
    rest = ["Lovelace1239", "Lovelace1238", "Lovelace1237", "Lovelace1236"]
    rest += ["Lovelace1235", "Lovelace1233", "Lovelace1232", "Lovelace1231"]
    rest += ["Lovelace1230", "Lovelace123"]
    assert [s.last_name for s in page.items] == ["Lovelace1234", *rest]


def test_a_part_of_a_billing_id_is_matched_past_the_start_they_all_share(cast):
    """SQLite: a partner's Billing IDs that all start alike (`INV-00…`) put
    those trigrams in each of its rows; the trigram match asks first for the
    longest part of the text without them, beside the whole text."""
    acme = Subscriber.objects.for_partner(cast.acme)
    Subscriber.objects.filter(partner=cast.acme).update(billing_id="INV-0099")
    made = [
        make_subscriber(cast.acme, email=f"b{n}@bill.example", billing_id=f"INV-00{n}")
        for n in (12, 120, 312, 45)
    ]
    make_subscriber(cast.globex, email="g@bill.example", billing_id="INV-0012")
    expected = scanned_newest_first(acme, "inv-0012")
    assert expected == [made[1].pk, made[0].pk]
    with CaptureQueriesContext(connection) as queries:
        page = acme.lookup("inv-0012")
    assert [s.pk for s in page.items] == expected
    if connection.vendor == "sqlite":
        (match,) = [q["sql"] for q in queries if " MATCH " in q["sql"]]
        assert '("0012" AND "inv-0012")' in match, match
        # In the index's order, "INV-…" and "inv-…" have rows between them
        # that start otherwise ("Other"): nothing is shared.
        make_subscriber(cast.acme, email="l@bill.example", billing_id="inv-0099")
        with CaptureQueriesContext(connection) as queries:
            assert [s.pk for s in acme.lookup("inv-0012").items] == expected
        (match,) = [q["sql"] for q in queries if " MATCH " in q["sql"]]
        assert ': "inv-0012")' in match, match


def test_the_start_billing_ids_share_is_read_only_for_a_text_with_digits(
    cast, monkeypatch
):
    """Account numbers hold digits: a name is matched without a query for the
    start the partner's Billing IDs share."""
    # PostgreSQL reads that start where it reads the trigram hits.
    monkeypatch.setattr(searched_text, "COMMON_PROBE", 1)
    monkeypatch.setattr(searched_text, "COMMON_WINDOW", 1)
    Subscriber.objects.filter(partner=cast.acme).update(billing_id="INV-0099")
    quxzo = make_subscriber(
        cast.acme, email="q@bill.example", last_name="Quxzolan", billing_id="INV-0100"
    )
    acme = Subscriber.objects.for_partner(cast.acme)
    for text, reads_start in (("quxzolan", False), ("nv-0100", True)):
        with CaptureQueriesContext(connection) as queries:
            assert [s.pk for s in acme.lookup(text).items] == [quxzo.pk]
        start = [q["sql"] for q in queries if "ORDER BY billing_id" in q["sql"]]
        assert bool(start) == reads_start, (text, start)


@pytest.mark.parametrize("status", ["", Status.ACTIVE])
def test_matches_past_the_candidates_are_still_found(cast, status):
    """A rare text's page is settled from its newest matches; where the
    lookup's scope leaves too many of those out (here: of another status), it
    reads on, and finds the rest as a scan does."""
    made = [
        make_subscriber(cast.acme, email=f"q{n}@rare.example", last_name="Quillfeather")
        for n in range(70)
    ]
    Subscriber.objects.filter(pk__in=[s.pk for s in made[:5]]).update(
        status=Status.ACTIVE
    )
    acme = Subscriber.objects.for_partner(cast.acme)
    if status:
        acme = acme.filter(status=status)
    expected = scanned_newest_first(acme, "illfeath")
    assert len(expected) == (5 if status else 70)
    assert _all_pages(acme, "illfeath", size=50) == expected


def _plan_on_indexes(partner) -> None:
    """PostgreSQL: the plan subscribers, analysed, and sequential scans off, so
    that a plan shows which index answers."""
    _plan_subscribers(partner)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscribers_subscriber")
        cursor.execute("SET enable_seqscan = off")


def test_whole_addresses_and_phones_are_looked_up_on_their_own_indexes(cast):
    """pg_trgm's GIN index answers `=` and `IN` too; on the bare column the
    planner took it for a few whole addresses and read every row sharing their
    trigrams. The trigram indexes are on UPPER(…), which equality never uses."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps its trigrams in a separate FTS5 table")
    _plan_on_indexes(cast.acme)
    addresses = [f"subscriber{n}o@plan.example" for n in range(40)]  # nobody's
    by_address = Subscriber.objects.filter(email_canonical__in=addresses)
    by_phone = Subscriber.objects.filter(phone__in=["+12125550001", "+12125550002"])
    for queryset in (by_address, by_phone):
        plan = queryset.explain()
        assert "trgm" not in plan, plan
    assert "subscriber_email_unique" in by_address.explain()
    # The search inside addresses and phones still reads them.
    inside = Subscriber.objects.filter(
        search_filter("ovelace12", region="US")
    ).explain()
    assert "subscriber_email_trgm" in inside or "subscriber_last_name_trgm" in inside
    assert "subscriber_phone_trgm" in (
        Subscriber.objects.filter(search_filter("5550123", region="US")).explain()
    )


def test_text_with_a_mark_is_read_by_trigrams_across_its_marks(cast):
    """pg_trgm breaks words at marks: on the address itself `ber12@pl` would be
    looked up by the trigrams of `ber12` and of a word starting `pl`, shared by
    every address of the domain. Addresses and names have a second index that
    reads marks as digits, asked for text with a mark in it; text without one
    is read on UPPER(…), whose rows recheck faster."""
    if connection.vendor != "postgresql":
        pytest.skip("FTS5's trigrams are of every character")
    _plan_on_indexes(cast.acme)
    marked = Subscriber.objects.filter(search_filter("ber12@pl")).explain()
    for column in ("email", "first_name", "last_name"):
        read = marked.split(f"Bitmap Index Scan on subscriber_{column}_marks_trgm")
        assert len(read) == 2, marked
        assert "'%BER121PL%'" in read[1].split("->")[0], marked  # @ read as 1
    plain = Subscriber.objects.filter(search_filter("ber12")).explain()
    assert "marks_trgm" not in plain, plain
    assert "Bitmap Index Scan on subscriber_email_trgm" in plain, plain


def _all_pages(queryset, query, size) -> list[int]:
    seen, cursor = [], None
    for _ in range(50):
        page = queryset.lookup(query, region="US", size=size, cursor=cursor)
        seen += [s.pk for s in page.items]
        if not (cursor := page.next_cursor):
            return seen
    raise AssertionError(f"no last page after 50 pages: {seen}")


def _all_pages_for(actor, query: str, size: int) -> list[int]:
    """Every page of a lookup as the page, the API and the CLI make it."""
    seen, cursor = [], None
    for _ in range(50):
        page = search.lookup_for(
            actor, query, annotate=annotate_readiness, size=size, cursor=cursor
        )
        seen += [s.pk for s in page.items]
        if not (cursor := page.next_cursor):
            return seen
    raise AssertionError(f"no last page after 50 pages: {seen}")


@pytest.mark.parametrize("reading", READINGS)
def test_a_rare_text_pages_newest_first_as_a_scan_orders_it(cast, reading):
    """A rare text's hits are put in order by their dates, to the microsecond,
    then by id; each page starts after the last one's cursor."""
    made = [
        make_subscriber(cast.acme, email=f"r{n}@rare.example", last_name="Quillfeather")
        for n in range(7)
    ]
    make_subscriber(cast.acme, email="other@rare.example", last_name="Other")
    make_subscriber(cast.globex, email="g@rare.example", last_name="Quillfeather")
    at = made[1].created_at
    moved = {
        2: at,
        4: at,
        5: at - timedelta(microseconds=1),
        0: at + timedelta(microseconds=1),
    }
    for n, created_at in moved.items():
        Subscriber.objects.filter(pk=made[n].pk).update(created_at=created_at)
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    expected = scanned_newest_first(acme, "illfeath")
    assert len(expected) == 7
    with mock.patch.multiple(searched_text, **READINGS[reading]):
        assert _all_pages(acme, "illfeath", size=2) == expected


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("every", [1, 2, 5])
def test_a_common_text_pages_newest_first_as_a_scan_orders_it(
    cast, actor_of, monkeypatch, every, reading
):
    # Small thresholds stand for a text with thousands of hits in a partner of a
    # million: every `every`-th subscriber matches, the window holds 4 rows, so
    # a page of 2 is found inside the window (every 1 or 2) or not (every 5).
    monkeypatch.setattr(search, "COMMON_HITS", 3)
    monkeypatch.setattr(search, "COMMON_WINDOW", 4)
    for name, value in READINGS[reading].items():
        monkeypatch.setattr(searched_text, name, value)
    for n in range(15):
        last = "Fairweather" if n % every == 0 else f"Other{n}"
        make_subscriber(cast.acme, email=f"p{n}@common.example", last_name=last)
    make_subscriber(cast.globex, email="g@common.example", last_name="Fairweather")
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    expected = scanned_newest_first(acme, "airweath")
    assert len(expected) == len(range(0, 15, every))
    assert _all_pages(acme, "airweath", size=2) == expected
    assert _all_pages_for(actor_of(cast.alice), "airweath", size=2) == expected


def test_a_common_text_is_read_from_the_partners_newest_rows(
    cast, actor_of, monkeypatch
):
    monkeypatch.setattr(search, "COMMON_HITS", 3)
    monkeypatch.setattr(search, "COMMON_WINDOW", 100)
    _plan_subscribers(cast.acme)
    for n in range(6):
        make_subscriber(cast.acme, email=f"c{n}@walk.example", last_name="Fairweather")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE subscribers_subscriber")
            cursor.execute("ANALYZE subscribers_searched_text")
            # Two thirds of 3,000 rows are cheaper to read whole and sort; at a
            # million the planner walks the index.
            cursor.execute("SET enable_seqscan = off")
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    alice = actor_of(cast.alice)
    with _plans() as plans:
        page = acme.lookup("airweath", size=2)
    assert len(page.items) == 2
    walk = plans[-1]
    if connection.vendor == "sqlite":
        # A page of a common text: the newest rows, tested in index order, are
        # read instead of every hit sorted (no temporary sort of the matches).
        assert "USING INDEX subscriber_newest (partner_id=?" in walk, walk
        assert "USE TEMP B-TREE" not in walk, walk
        # So too as the page, the API and the CLI make it.
        with _plans() as plans:
            made = search.lookup_for(alice, "airweath", size=2)
        assert [s.pk for s in made.items] == [s.pk for s in page.items]
        assert "USING INDEX subscriber_newest (partner_id=?" in plans[-1], plans
        assert "USE TEMP B-TREE" not in plans[-1], plans
    else:
        # PostgreSQL, whatever the planner guesses of the text: the newest rows
        # of the searched text, the text read from the index (no row visited).
        (walk,) = [plan for plan in plans if "subscribers_searched_text" in plan]
        assert "Scan using subscribers_searched_text_newest" in walk, walk
        assert "Bitmap" not in walk, walk
    # The next page's walk starts at the cursor's date, not at the newest row.
    with _plans() as plans:
        following = acme.lookup("airweath", size=2, cursor=page.next_cursor)
    assert len(following.items) == 2
    if connection.vendor == "sqlite":
        walk = plans[-1].split("\n")
        assert "subscriber_newest (partner_id=? AND created_at" in walk[0], walk
        assert "created_at<?)" in walk[0], walk
    else:
        (walk,) = [plan for plan in plans if "subscribers_searched_text" in plan]
        bound = next(line for line in walk.split("\n") if "Index Cond" in line)
        assert "(ROW(created_us, id) < ROW(" in bound, walk


def test_an_operators_common_text_pages_as_a_scan_orders_it(
    cast, actor_of, monkeypatch
):
    """Only one partner's subscribers have a newest-first index to walk; an
    operator's lookup of a common text is read another way, in the same order."""
    monkeypatch.setattr(search, "COMMON_HITS", 3)
    monkeypatch.setattr(search, "COMMON_WINDOW", 4)
    for n in range(5):
        for partner in (cast.acme, cast.globex):
            make_subscriber(
                partner, email=f"{partner.slug}{n}@op.example", last_name="Fairweather"
            )
    everyone = Subscriber.objects.for_actor(actor_of(cast.olivia), with_partner=True)
    acme = Subscriber.objects.for_actor(actor_of(cast.alice), with_partner=True)
    assert not search._one_partner(everyone)
    assert search._one_partner(acme)
    assert search._one_partner(Subscriber.objects.for_partner(cast.acme))
    expected = list(
        everyone.filter(scan_filter("airweath"))
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 10
    assert _all_pages(annotate_readiness(everyone), "airweath", size=3) == expected


def test_a_rare_text_is_read_through_its_trigram_index_whatever_the_guess(cast):
    """PostgreSQL guesses how many rows a LIKE '%…%' matches: without statistics
    (or with a text the statistics miss) a few letters look common, and the
    planner would read the partner newest first, or the whole table, for one
    page. The hits are read through the trigram indexes first, and drive."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's FTS5 match always drives (ORDER BY no index serves)")
    _plan_subscribers(cast.acme)
    rare = make_subscriber(cast.acme, email="rare@plan.example", last_name="Quxzo")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscribers_subscriber")
    acme = annotate_readiness(Subscriber.objects.for_partner(cast.acme))
    with _plans() as plans:
        page = acme.lookup("uxz", size=5)
    assert [s.pk for s in page.items] == [rare.pk]
    assert plans
    for plan in plans:
        assert "subscriber_newest" not in plan, plan
        assert "Seq Scan on subscribers_subscriber" not in plan, plan


def test_a_whole_key_is_looked_up_in_the_actors_own_scope(cast, actor_of):
    bob, charlie, olivia = (actor_of(u) for u in (cast.bob, cast.charlie, cast.olivia))
    for key in (cast.sam.email, cast.sam.public_id):
        # The same shape of query, first for the owner's staff, then another's.
        assert [s.pk for s in search.lookup_for(bob, key).items] == [cast.sam.pk]
        assert search.lookup_for(charlie, key).items == []
        [found] = search.lookup_for(olivia, key).items
        assert (found.pk, found.partner.name) == (cast.sam.pk, "Acme Telecom")
    assert search.lookup_for(bob, cast.sam.email, status="active").items == []
    [sam] = search.lookup_for(
        bob, cast.sam.email, status="pending_activation", annotate=annotate_readiness
    ).items
    assert (sam.partner, sam.has_number, sam.has_features) == (cast.acme, False, False)
    with CaptureQueriesContext(connection) as queries:
        assert search.lookup_for(charlie, cast.gus.public_id).items == [cast.gus]
    assert len(queries) == 1


@pytest.mark.parametrize(
    ("typed", "column"), [("(212) 555-0000", "phone"), ("INV-0", "billing_id")]
)
def test_a_partners_whole_key_is_probed_among_its_own_rows_alone(
    cast, actor_of, typed, column
):
    """A phone or Billing ID typed whole is looked up on its partner index for
    the actor's partner, not for every partner in turn."""
    _plan_subscribers(cast.acme, count=10)
    make_subscriber(
        cast.acme, email="again@plan.example", billing_id="INV-0", phone="+12125550000"
    )
    bob = actor_of(cast.bob)
    with _plans() as plans:
        first = search.lookup_for(bob, typed, size=1)
        cursor = first.next_cursor
        following = search.lookup_for(bob, typed, size=1, cursor=cursor)
    found = first.items + following.items
    assert [s.billing_id for s in found] == ["INV-0", "INV-0"]
    # The first page, then the next from its cursor (a query compiled anew).
    for whole_keys in (plans[0], plans[-1]):
        assert "partners_partner" not in whole_keys, whole_keys
        if connection.vendor == "sqlite":
            assert f"(partner_id=? AND {column}=?)" in whole_keys, whole_keys
