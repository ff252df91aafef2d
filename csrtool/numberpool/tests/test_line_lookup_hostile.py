"""Phone Line Lookup and the numbers API with input nobody means still answer."""

import pytest

from csrtool.numberpool.tests.make import make_number


@pytest.fixture
def line(cast):
    return make_number(cast.acme, dnis="8005550123")


@pytest.mark.parametrize("query", ["+²", "²³", "+¹800", "⁸⁰⁰"])
def test_superscript_digits_are_not_digits(cast, client_for, api_client_for, query):
    response = client_for(cast.bob).get("/numbers/lookup/", {"q": query})
    assert response.status_code == 200
    assert "8005550123" not in response.content.decode()
    response = api_client_for(cast.acme).get("/api/v1/numbers", {"q": query})
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("query", ["５５５０１", "٥٥٥٠١", "+１ 800 555"])
def test_digits_of_other_scripts_find_the_number(
    cast, client_for, api_client_for, line, query
):
    response = client_for(cast.bob).get("/numbers/lookup/", {"q": query})
    assert response.status_code == 200
    assert "8005550123" in response.content.decode()
    response = api_client_for(cast.acme).get("/api/v1/numbers", {"q": query})
    assert [item["dnis"] for item in response.json()["items"]] == ["8005550123"]


@pytest.mark.parametrize("cursor", ["\x00", "+1\x00800", "<script>", "9" * 100])
def test_a_forged_page_cursor_answers(cast, client_for, api_client_for, line, cursor):
    response = client_for(cast.bob).get(
        "/numbers/lookup/", {"q": "800", "after": cursor}
    )
    assert response.status_code == 200
    response = api_client_for(cast.acme).get("/api/v1/numbers", {"cursor": cursor})
    assert response.status_code == 200
