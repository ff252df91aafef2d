"""A lookup typed or sent with characters nobody means still answers.

PostgreSQL refuses a NUL in a query parameter, so such characters are dropped
before the search rather than turning the lookup into a server error.
"""

import pytest


@pytest.mark.parametrize(
    "query", ["Sam\x00", "\x00Sample", "Sa\x00m", "Sam\x1b", "Sam\x7f"]
)
def test_the_api_lookup_refuses_control_characters_naming_the_parameter(
    cast, api_client_for, query
):
    # Refused at the edge (csrtool.edge), as in every API query string and body.
    response = api_client_for(cast.acme).get("/api/v1/subscribers", {"q": query})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_characters"
    assert response.json()["errors"][0]["field"] == "q"


def test_the_lookup_page_refuses_a_nul_without_a_server_error(cast, client_for):
    response = client_for(cast.bob).get("/subscribers/", {"q": "Sam\x00"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The field &#x27;q&#x27; contains the control character U+0000" in page
    assert cast.sam.public_id not in page
    assert cast.gus.public_id not in page


@pytest.mark.parametrize("query", ["Sam\x00", "Sa\x00m", "Sam\x1b", "Sa\x7fm"])
def test_a_lookup_past_the_edge_drops_control_characters(cast, actor_of, query):
    # The CLI and the services take text no edge has checked.
    from csrtool.subscribers.search import lookup_for

    found = lookup_for(actor_of(cast.bob), query).items

    assert cast.sam.pk in [subscriber.pk for subscriber in found]
