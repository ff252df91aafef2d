"""Number Pool Admin lists the partner's pool: a page of rows in number order,
filtered by state, type, country code and area code, beside the add form."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.tests.answers import page_and_queries


def rows(page: str) -> list[str]:
    """The DNIS of each row the list shows, in order."""
    table = page[page.index('id="pool-heading"') :]
    table = table[: table.index("</table>")] if "</table>" in table else ""
    return re.findall(r"<td><code>(\d+)</code></td>", table)


def the_pool(cast):
    """Acme: toll-free 800s, local 212s (one assigned to Sam, one retired), a
    London number; Globex: one number that must never show for Acme."""
    make_number(cast.acme, "8005550101")
    make_number(cast.acme, "8005550102")
    make_number(cast.acme, "2125550101", number_type="local")
    make_number(
        cast.acme,
        "2125550102",
        number_type="local",
        status=NumberStatus.ASSIGNED,
        subscriber=cast.sam,
    )
    make_number(
        cast.acme, "2125550103", number_type="local", status=NumberStatus.RETIRED
    )
    make_number(
        cast.acme,
        "442079460101",
        number="+442079460101",
        number_type="intl_local",
        country_code="44",
        area_code="20",
    )
    make_number(cast.globex, "2125550199", number_type="local")


def test_a_partner_admin_sees_the_pool_beside_the_add_form(cast, client_for):
    the_pool(cast)
    page = client_for(cast.alice).get("/numbers/admin/").text

    assert rows(page) == [
        "2125550101",
        "2125550102",
        "2125550103",
        "8005550101",
        "8005550102",
        "442079460101",
    ]
    assert "6 numbers, in number order." in page
    assert '<span class="status status-assigned">Assigned</span>' in page
    assert f'href="/subscribers/{cast.sam.public_id}/">Sam Sample</a>' in page
    assert '<span class="status status-retired">Retired</span>' in page
    assert "2125550199" not in page
    # The list first, the forms beside it.
    assert page.index('id="pool-heading"') < page.index('id="add-heading"')
    assert '<div class="pool-admin with-forms">' in page


def test_globex_sees_only_its_own_pool(cast, client_for):
    the_pool(cast)
    page = client_for(cast.gina).get("/numbers/admin/").text
    assert rows(page) == ["2125550199"]
    page = client_for(cast.charlie).get("/numbers/admin/", {"area": "800"}).text
    assert rows(page) == []
    assert "No number matches." in page


@pytest.mark.parametrize(
    "filters, shown",
    [
        ({"state": "assigned"}, ["2125550102"]),
        ({"state": "retired"}, ["2125550103"]),
        ({"state": "available", "type": "local"}, ["2125550101"]),
        ({"type": "tollfree"}, ["8005550101", "8005550102"]),
        ({"country": "44"}, ["442079460101"]),
        ({"country": "+44"}, ["442079460101"]),
        ({"area": "800"}, ["8005550101", "8005550102"]),
        ({"country": "1", "area": "212", "state": "available"}, ["2125550101"]),
        ({"type": "intl_tollfree"}, []),
    ],
)
def test_each_filter_narrows_the_list(cast, client_for, filters, shown):
    the_pool(cast)
    page = client_for(cast.bob).get("/numbers/admin/", filters).text
    assert rows(page) == shown
    if shown:
        said = "numbers that match" if len(shown) > 1 else "number that matches"
        assert f"{len(shown)} {said}" in page
    else:
        assert "No number matches." in page


def test_a_lapsed_hold_reads_and_filters_as_available(cast, client_for):
    make_number(
        cast.acme,
        "8005550101",
        status=NumberStatus.HELD,
        subscriber=cast.sam,
        held_until=timezone.now() - timedelta(minutes=1),
    )
    make_number(
        cast.acme,
        "8005550102",
        status=NumberStatus.HELD,
        subscriber=cast.sam,
        held_until=timezone.now() + timedelta(minutes=10),
    )
    client = client_for(cast.alice)
    assert rows(client.get("/numbers/admin/", {"state": "available"}).text) == [
        "8005550101"
    ]
    page = client.get("/numbers/admin/", {"state": "held"}).text
    assert rows(page) == ["8005550102"]
    assert '<span class="status status-held">Held</span>' in page
    assert f">{cast.sam.full_name}</a>" in page


def test_filters_it_cannot_use_are_ignored_not_searched(cast, client_for):
    the_pool(cast)
    page = client_for(cast.alice).get(
        "/numbers/admin/", {"state": "gone", "type": "x'--", "country": "abc"}
    )
    assert page.status_code == 200
    assert len(rows(page.text)) == 6


def test_the_list_pages_through_the_pool_with_its_filters(cast, client_for):
    for n in range(55):
        make_number(cast.acme, f"21255501{n:02d}", number_type="local")
    make_number(cast.acme, "8005550100")
    client = client_for(cast.alice)

    first = client.get("/numbers/admin/", {"type": "local"}).text
    assert len(rows(first)) == 50
    assert "50+ numbers that match, in number order." in first
    link = re.search(r'<a href="\?([^"]+)">Next page</a>', first).group(1)
    assert "type=local" in link
    second = client.get("/numbers/admin/?" + link.replace("&amp;", "&")).text
    assert rows(second) == [f"21255501{n:02d}" for n in range(50, 55)]
    assert "Next page" not in second
    assert '<a href="?type=local">First page</a>' in second


@pytest.mark.parametrize("user", ["alice", "bob", "olivia"])
def test_a_page_costs_the_same_queries_for_3_rows_as_for_60_and_counts_nothing(
    cast, client_for, user
):
    client = client_for(getattr(cast, user))
    client.get("/numbers/admin/")  # warm-up
    cost = {}
    for size in (3, 60):
        for n in range(cast.acme.numbers.count(), size):
            owned = {"status": NumberStatus.ASSIGNED, "subscriber": cast.sam}
            make_number(
                cast.acme,
                f"21255590{n:02d}",
                number_type="local",
                **(owned if n % 2 else {}),
            )
        with CaptureQueriesContext(connection) as queries:
            page, cost[size] = page_and_queries(client, "/numbers/admin/")
        assert len(rows(page)) == min(size, 50)
        assert page.count(">Sam Sample</a>") == min(size, 50) // 2
        assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
        if user == "olivia":  # the operator sees each row's partner
            assert page.count("<td>Acme Telecom</td>") == min(size, 50)
    assert cost[3] == cost[60]


def test_the_operator_narrows_the_list_to_one_partner(cast, client_for):
    the_pool(cast)
    client = client_for(cast.olivia)
    page = client.get("/numbers/admin/").text
    assert len(rows(page)) == 7
    assert '<option value="globex">Globex Voice</option>' in page
    assert rows(client.get("/numbers/admin/", {"partner": "globex"}).text) == [
        "2125550199"
    ]
