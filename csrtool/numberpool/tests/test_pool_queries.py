"""Phone Line Lookup and Browse Available Numbers read only what a page shows.

Browse walks an index in number order that matches its filters (a country and
area code are a range of numbers); a search is driven by its trigram match,
whatever else filters it. The plans are read with EXPLAIN on both databases:
PostgreSQL with sequential scans off, since a test's few rows would otherwise
be read whole. Every page costs the same number of queries at 3 rows as at 60.
"""

import contextlib

import pytest
from django.db import connection

from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.partners.models import Role
from csrtool.tests.answers import page_and_queries

ORDER_INDEXES = (
    "number_partner_order",
    "number_partner_type_order",
    "number_partner_area_order",
    "number_partner_area_type_order",
)
TRGM_INDEX = "numberpool_phonenumber_dnis_trgm"
ENDING_INDEX = "number_dnis_ending"
STATE_INDEX = "number_partner_status_order"


def fill(partner, count, *, start=0):
    """`count` numbers: +1 800 (toll-free) and +1 212 / +44 20 (local), some
    assigned, held or retired."""
    rows = []
    for i in range(start, start + count):
        kind = i % 3
        if kind == 2:
            national = f"2079{i:06d}"
            rows.append(
                PhoneNumber(
                    partner=partner,
                    number=f"+44{national}",
                    dnis=f"44{national}",
                    number_type="intl_local",
                    country_code="44",
                    area_code="20",
                )
            )
            continue
        area = "800" if kind == 0 else "212"
        rows.append(
            PhoneNumber(
                partner=partner,
                number=f"+1{area}55{i:05d}",
                dnis=f"{area}55{i:05d}",
                number_type="tollfree" if kind == 0 else "local",
                country_code="1",
                area_code=area,
                status=NumberStatus.RETIRED if i % 7 == 0 else NumberStatus.AVAILABLE,
            )
        )
    PhoneNumber.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        # What autovacuum does after a load: the planner's statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE numberpool_phonenumber")


@contextlib.contextmanager
def statements():
    """The SQL and parameters of every statement run in the block."""
    seen = []

    def catch(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(catch):
        yield seen


def plan(sql, params, switches=()) -> str:
    """The plan of a statement; on PostgreSQL with these planner methods off."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(row[-1] for row in cursor.fetchall())
        for switch in switches:
            cursor.execute(f"SET {switch} = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            for switch in switches:
                cursor.execute(f"RESET {switch}")


def page_plans(queryset, after=None, switches=("enable_seqscan",)) -> list[str]:
    """The plan of every statement a page of five runs."""
    with statements() as seen:
        queryset.page(after, size=5)
    return [plan(*statement, switches) for statement in seen]


def page_plan(queryset, after=None, switches=("enable_seqscan",)) -> str:
    (text,) = page_plans(queryset, after, switches)
    return text


BROWSE_FILTERS = [
    {},
    {"country_code": "44"},
    {"country_code": "1", "number_type": "local"},
    {"country_code": "1", "number_type": "tollfree", "area_code": "800"},
    {"number_type": "local"},
    {"area_code": "212"},
    {"number_type": "local", "area_code": "212"},
    {"number_type": "tollfree", "area_code": "800"},
]


@pytest.mark.parametrize("filters", BROWSE_FILTERS)
@pytest.mark.parametrize("after", [None, "+1212"])
def test_browse_walks_an_index_in_number_order_for_any_filter(cast, filters, after):
    fill(cast.acme, 300)
    fill(cast.globex, 300, start=1000)
    queryset = (
        PhoneNumber.objects.for_partner(cast.acme)
        .available()
        .select_related("partner")
        .filtered(**filters)
    )

    # PostgreSQL sorts a few hundred rows rather than walk an index; with
    # sorting and scans off it shows whether an index serves filter and order.
    switches = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    text = page_plan(queryset, after, switches)

    assert any(index in text for index in ORDER_INDEXES), text
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in text, text
        assert "SCAN numberpool_phonenumber" not in text, text
        (seek,) = [line for line in text.splitlines() if "phonenumber USING" in line]
    else:
        assert "Sort" not in text, text
        seek = text.split("Index Cond:")[1].splitlines()[0]
    # The index seeks the filters, not only the partner: a country (and area)
    # code as a range of numbers, else a type or an area code.
    seek = "".join(seek.replace("::text", "").replace("(", "").replace(")", "").split())
    assert "partner_id=" in seek, text
    if "country_code" in filters:
        assert "number<" in seek, text
    elif filters:
        assert "number_type=" in seek or "area_code=" in seek, text
    # An area's numbers of a type, not the whole area's nor the whole type's
    # (a type an area has none of read all of it). PostgreSQL weighs the
    # indexes by its statistics.
    if {"area_code", "number_type"} <= filters.keys() and connection.vendor == "sqlite":
        assert "area_code=" in seek and "number_type=" in seek, text


POOL_LIST_FILTERS = [
    ({}, ""),
    ({}, "assigned"),
    ({}, "retired"),
    ({"number_type": "local"}, "available"),
    ({"country_code": "1", "area_code": "212"}, "held"),
    ({"area_code": "800"}, "retired"),
    ({}, "aging"),
]


@pytest.mark.parametrize("filters, state", POOL_LIST_FILTERS)
@pytest.mark.parametrize("after", [None, "+1212"])
def test_the_pool_list_walks_an_index_in_number_order_for_any_filter(
    cast, filters, state, after
):
    fill(cast.acme, 300)
    fill(cast.globex, 300, start=1000)
    queryset = (
        PhoneNumber.objects.for_partner(cast.acme)
        .select_related("partner", "subscriber")
        .filtered(**filters)
    )
    if state:
        queryset = queryset.in_state(state)

    switches = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
    text = page_plan(queryset, after, switches)

    expiry = {"held": "number_hold_expiry", "aging": "number_aging_expiry"}
    if state in expiry and expiry[state] in text:
        # The live holds or aging periods only (they end), read and sorted.
        return
    assert any(index in text for index in (*ORDER_INDEXES, STATE_INDEX)), text
    if connection.vendor == "sqlite":
        assert "TEMP B-TREE" not in text, text
        assert "SCAN numberpool_phonenumber" not in text, text
    else:
        assert "Sort" not in text, text
    if state in ("assigned", "retired") and not filters:
        # A rare state seeks its own rows instead of testing the whole pool's.
        assert STATE_INDEX in text, text


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"country_code": "1", "number_type": "local", "area_code": "212"},
        {"status": "available", "number_type": "local"},
    ],
)
@pytest.mark.parametrize("after", [None, "+1212", "e+1212"])
@pytest.mark.parametrize("digits", ["5501", "55012"])
def test_a_search_is_driven_by_its_trigram_match_whatever_filters_it(
    cast, filters, after, digits
):
    fill(cast.acme, 300)
    queryset = (
        PhoneNumber.objects.for_partner(cast.acme)
        .select_related("partner", "subscriber")
        .search_digits(digits)
        .available()
        .filtered(**filters)
    )

    # PostgreSQL picks by its estimates, which at a test's size favour reading
    # the partner's few rows; what must hold at any size is that no index in
    # number order is there to walk, even with sorting switched off.
    *ending, text = page_plans(queryset, after, ("enable_seqscan", "enable_sort"))

    # Four digits: the numbers ending in them come first, read from the index
    # of DNIS endings alone (a cursor past them reads only the rest). More
    # digits end so few numbers that one query of the matches ranks them.
    assert len(ending) == (1 if len(digits) == 4 and after != "+1212" else 0)
    for part in ending:
        assert ENDING_INDEX in part, part
        assert not any(index in part for index in ORDER_INDEXES), part
        assert TRGM_INDEX not in part and "VIRTUAL TABLE" not in part, part
    assert not any(index in text for index in ORDER_INDEXES), text
    assert ENDING_INDEX not in text, text
    if connection.vendor == "sqlite":
        assert "VIRTUAL TABLE INDEX" in text, text
        assert "rowid=?" in text, text
        assert "SCAN numberpool_phonenumber " not in text + " ", text
    else:
        assert "Sort" in text, text


def test_browse_answers_the_same_as_reading_every_row(cast):
    fill(cast.acme, 200)
    fill(cast.globex, 20, start=500)
    everything = list(PhoneNumber.objects.order_by("number"))
    for filters in BROWSE_FILTERS:
        wanted = [
            line.number
            for line in everything
            if line.partner_id == cast.acme.pk
            and line.status == NumberStatus.AVAILABLE
            and all(getattr(line, k) == v for k, v in filters.items())
        ]
        queryset = PhoneNumber.objects.for_partner(cast.acme).available()
        shown, after = [], None
        while True:
            page = queryset.filtered(**filters).page(after, size=7)
            shown += [line.number for line in page.items]
            if not page.next_cursor:
                break
            after = page.next_cursor
        assert shown == wanted, filters
        assert wanted, filters


def test_a_search_pages_through_its_matches_in_number_order(cast):
    fill(cast.acme, 200)
    wanted = sorted(
        PhoneNumber.objects.filter(dnis__contains="550", status="available")
        .exclude(country_code="44")
        .values_list("number", flat=True)
    )
    queryset = (
        PhoneNumber.objects.for_partner(cast.acme)
        .search_digits("550")
        .available()
        .filtered(country_code="1")
    )
    shown, after = [], None
    while True:
        page = queryset.page(after, size=9)
        shown += [line.number for line in page.items]
        assert all(line.partner == cast.acme for line in page.items)
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert shown == wanted
    assert len(wanted) > 20


@pytest.mark.parametrize("user", ["bob", "olivia"])
def test_phone_line_lookup_costs_the_same_queries_for_3_rows_as_for_60(
    cast, client_for, user
):
    client = client_for(getattr(cast, user))
    client.get("/numbers/lookup/", {"q": "5559"})  # warm-up
    cost = {}
    for size in (3, 60):
        for n in range(PhoneNumber.objects.count(), size):
            owned = {"status": NumberStatus.ASSIGNED, "subscriber": cast.sam}
            make_number(
                cast.acme,
                f"21255590{n:02d}",
                number_type="local",
                **(owned if n % 2 else {}),
            )
        page, cost[size] = page_and_queries(client, "/numbers/lookup/", {"q": "5559"})
        shown = min(size, 50)
        assert page.count('href="/numbers/2125559') == shown
        assert page.count(">Sam Sample</a>") == shown // 2
        more = "+" if size > 50 else ""
        assert f"{shown}{more} numbers contain “5559”." in page
        if user == "olivia":  # the operator sees each row's partner
            assert page.count("<td>Acme Telecom</td>") == shown
    assert cost[3] == cost[60]


@pytest.mark.parametrize("user", ["bob", "olivia"])
def test_browse_costs_the_same_queries_for_3_rows_as_for_60(cast, client_for, user):
    client = client_for(getattr(cast, user))
    client.get("/numbers/available/", {"country": "1", "area": "212"})  # warm-up
    cost = {}
    for size in (3, 60):
        for n in range(PhoneNumber.objects.count(), size):
            make_number(cast.acme, f"21255590{n:02d}", number_type="local")
        page, cost[size] = page_and_queries(
            client, "/numbers/available/", {"country": "1", "area": "212"}
        )
        shown = min(size, 50)
        assert page.count('href="/numbers/2125559') == shown
        if user == "olivia":
            assert page.count("<td>Acme Telecom</td>") == shown
    assert cost[3] == cost[60]


def test_the_numbers_api_costs_the_same_queries_for_3_rows_as_for_60(
    cast, api_client_for
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    api = api_client_for(cast.acme, Role.CSR)
    api.get("/api/v1/numbers", {"q": "5559"})  # warm-up: the key's first use
    cost = {}
    for size in (3, 60):
        for n in range(PhoneNumber.objects.count(), size):
            make_number(cast.acme, f"21255590{n:02d}", number_type="local")
        for query in ({"q": "5559", "available": "true"}, {"country_code": "1"}):
            with CaptureQueriesContext(db) as queries:
                answer = api.get("/api/v1/numbers", {**query, "limit": 100})
            assert answer.status_code == 200
            items = answer.json()["items"]
            assert len(items) == size
            assert {item["partner"] for item in items} == {cast.acme.slug}
            cost[size, tuple(query)] = len(queries)
    assert cost[3, ("q", "available")] == cost[60, ("q", "available")]
    assert cost[3, ("country_code",)] == cost[60, ("country_code",)]
