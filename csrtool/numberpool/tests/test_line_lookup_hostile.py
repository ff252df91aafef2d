"""Phone Line Lookup and the numbers API with input nobody means still answer,
and answer sensibly: what the CSR sees on the page is what the API returns."""

import re

import pytest

from csrtool.numberpool.tests.make import make_number

DNIS = "8005550123"


@pytest.fixture
def line(cast):
    return make_number(cast.acme, dnis=DNIS)


def lookup(client, **params) -> tuple[str, list[str]]:
    """The lookup page's status line and the DNIS of each row it lists."""
    response = client.get("/numbers/lookup/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="q" value="{params["q"]}"' in page
    [status] = re.findall(r'<p role="status"[^>]*>(.*?)</p>', page)
    return status, re.findall(r"<td><code>(\d+)</code></td>", page)


def api_rows(api, **params) -> list[str]:
    response = api.get("/api/v1/numbers", params)
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    return [item["dnis"] for item in body["items"]]


@pytest.mark.parametrize("query", ["+²", "²³", "+¹800", "⁸⁰⁰"])
def test_superscript_digits_are_not_digits(
    cast, client_for, api_client_for, line, query
):
    assert lookup(client_for(cast.bob), q=query) == (
        f"No number in the pool contains “{query}”.",
        [],
    )
    assert api_rows(api_client_for(cast.acme), q=query) == []


@pytest.mark.parametrize("query", ["５５５０１", "٥٥٥٠١", "+１ 800 555"])
def test_digits_of_other_scripts_find_the_number(
    cast, client_for, api_client_for, line, query
):
    make_number(cast.acme, dnis="2125550000", number_type="local")
    assert lookup(client_for(cast.bob), q=query) == (
        f"1 number contain “{query}”.",
        [DNIS],
    )
    assert api_rows(api_client_for(cast.acme), q=query) == [DNIS]


# A cursor is an E.164 number; a forged one counts only by the digits it holds:
# none means the first page, "+1…800" pages after +1800, all nines after the end.
@pytest.mark.parametrize(
    ("cursor", "rows"),
    [("<script>", [DNIS]), ("+1800x", [DNIS]), ("9" * 100, [])],
)
def test_a_forged_page_cursor_answers_by_the_digits_it_holds(
    cast, client_for, api_client_for, line, cursor, rows
):
    status, shown = lookup(client_for(cast.bob), q="800", after=cursor)
    assert shown == rows
    assert status == (
        "1 number contain “800”." if rows else "No number in the pool contains “800”."
    )
    assert api_rows(api_client_for(cast.acme), q="800", cursor=cursor) == rows


@pytest.mark.parametrize("cursor", ["\x00", "+1\x00800"])
def test_a_page_cursor_with_a_nul_is_refused_by_the_page_and_the_api(
    cast, client_for, api_client_for, line, cursor
):
    # Refused at the edge (csrtool.edge), the field named, on both doors.
    page = client_for(cast.bob).get("/numbers/lookup/", {"q": "800", "after": cursor})
    assert page.status_code == 400
    assert "The field &#x27;after&#x27; contains the control character" in (
        page.content.decode()
    )
    refused = api_client_for(cast.acme).get(
        "/api/v1/numbers", {"q": "800", "cursor": cursor}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "cursor", "message": refused.json()["detail"]}
    ]
