import pytest

from csrtool import timezones
from csrtool.conftest import make_subscriber
from csrtool.subscribers import search
from csrtool.subscribers.models import Subscriber
from csrtool.tests.answers import page_and_queries


def lookup(client, q, **params):
    response = client.get("/subscribers/", {"q": q, **params})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def ada(cast):
    return make_subscriber(
        cast.acme,
        email="Ada.Lovelace@Analytical.example",
        first_name="Ada",
        last_name="Lovelace",
        phone="+12125550123",
        billing_id="INV-778",
    )


@pytest.mark.parametrize(
    "query",
    [
        "ada.lovelace@analytical.example",  # exact, other case
        "ADA.LOVELACE@ANALYTICAL.EXAMPLE",
        "lovelace@analyt",  # part of the address
        "Ada",
        "lovelace",
        "Ada Lovelace",
        "INV-778",
        "inv-7",
        "(212) 555-0123",
        "+1 212 555 0123",
        "212.555.0123",
        "5550123",
    ],
)
def test_it_finds_a_subscriber_by_any_key(cast, client_for, ada, query):
    page = lookup(client_for(cast.bob), query)
    assert ada.public_id in page
    assert cast.sam.public_id not in page


def test_a_phone_is_read_in_the_partners_country_unless_typed_with_its_own(
    cast, actor_of
):
    """Globex is in London, Acme in New York."""
    charlie, bob = actor_of(cast.charlie), actor_of(cast.bob)
    for typed in ("020 7946 0000", "+44 20 7946 0000", "0044 20 7946 0000"):
        assert search.lookup_for(charlie, typed).items == [cast.gus]
    londoner = make_subscriber(
        cast.acme, email="uk@acme.example", phone="+442079460111"
    )
    assert search.lookup_for(bob, "+44 20 7946 0111").items == [londoner]
    # Without its country code, a London number is no number of New York's.
    assert search.lookup_for(bob, "020 7946 0111").items == []


def test_it_finds_by_subscriber_id_with_stray_spaces_and_case(cast, client_for, ada):
    page = lookup(client_for(cast.bob), f"  {ada.public_id.upper()} ")
    assert ada.public_id in page


def test_results_show_id_name_email_status_and_created_date(cast, client_for, ada):
    page = lookup(client_for(cast.bob), "lovelace")
    assert f'data-copy="{ada.public_id}"' in page
    assert "Ada Lovelace" in page
    # The address may wrap after its @ and before its dots (<wbr>), nowhere else.
    assert f'<span class="breakable">{ada.email}</span>' in page.replace("<wbr>", "")
    assert "Pending activation" in page
    # Created in the CSR's time zone (Acme's default, New York), the zone named.
    assert timezones.format_local_datetime(ada.created_at, "America/New_York") in page


def test_no_match_says_so(cast, client_for):
    page = lookup(client_for(cast.bob), "nobody-here")
    assert "No subscriber matches" in page


def test_it_never_shows_another_partners_subscribers(cast, client_for):
    for query in (
        "gus@other.example",
        "Gus",
        "GLX-200",
        cast.gus.public_id,
        "+44 20 7946 0000",
    ):
        page = lookup(client_for(cast.bob), query)
        assert f'data-copy="{cast.gus.public_id}"' not in page
        assert "No subscriber matches" in page


def test_the_operator_sees_every_partner(cast, client_for):
    page = lookup(client_for(cast.olivia), "example")
    assert cast.gus.public_id in page and cast.sam.public_id in page


def test_status_filter(cast, client_for, ada):
    Subscriber.objects.filter(pk=ada.pk).update(status="suspended")
    page = lookup(client_for(cast.bob), "Ada", status="suspended")
    assert ada.public_id in page
    assert cast.sam.public_id not in page


def test_results_are_paged_by_cursor_without_gaps_or_repeats(cast, client_for):
    for i in range(120):
        make_subscriber(cast.acme, email=f"bulk{i:03}@paging.example")
    client = client_for(cast.bob)
    seen = []
    params = {"q": "paging.example"}
    while True:
        response = client.get("/subscribers/", params)
        page = response.context["page"]
        seen += [s.email for s in page.items]
        if not page.next_cursor:
            break
        params["after"] = page.next_cursor
    assert len(seen) == 120
    assert len(set(seen)) == 120


@pytest.mark.parametrize("user", ["bob", "olivia"])
def test_the_list_costs_the_same_queries_for_3_and_30_results(cast, client_for, user):
    client = client_for(getattr(cast, user))
    search = {"q": "queries.example"}
    client.get("/subscribers/", search)  # the session and caches warm up
    made, cost = [], {}
    for size in (3, 30):
        made += [
            make_subscriber(
                cast.acme,
                email=f"many{n}@queries.example",
                first_name=f"Many{n}",
                last_name="Queries",
            )
            for n in range(len(made), size)
        ]
        page, cost[size] = page_and_queries(client, "/subscribers/", search)
        assert page.replace("<wbr>", "").count("@queries.example</span></td>") == size
        if user == "olivia":  # the operator sees each row's partner
            assert page.count("<td>Acme Telecom</td>") == size
        for subscriber in made:
            assert f"<code>{subscriber.public_id}</code>" in page
            assert f">{subscriber.full_name}</a>" in page
    assert cost[3] == cost[30]


def test_email_lookup_uses_the_index_not_a_scan(cast):
    from django.db import connection

    queryset = Subscriber.objects.filter(email_canonical="sam@customer.example")
    plan = queryset.explain()
    if connection.vendor == "sqlite":
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan
        assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", "")
    else:
        # A tiny table may be read whole; forbid that and the index must be usable.
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
        assert (
            "Index"
            in Subscriber.objects.filter(
                email_canonical="sam@customer.example"
            ).explain()
        )
