"""Unknown, forbidden and expired: the product's own pages, never Django's bare ones.

A page meant for another role answers like an unknown page (a CSR learns nothing
about it), and a foreign ID like an unknown one, byte for byte.
"""

import pytest
from django.test import Client

from csrtool.conftest import assert_accessible, browser_login
from csrtool.tests.test_partner_isolation import UNKNOWN_ID

DJANGO_BARE = "The requested resource was not found on this server."


def test_an_unknown_page_keeps_the_console_and_its_menu(cast, client_for):
    response = client_for(cast.bob).get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in body
    assert DJANGO_BARE not in body
    assert 'aria-label="CSR menu"' in body and ">Subscriber Lookup</a>" in body
    assert "Bob CSR (CSR)" in body


def test_a_page_for_another_role_reads_like_an_unknown_one(cast, client_for):
    client = client_for(cast.avery)  # the auditor may not add accounts
    forbidden = client.get("/subscribers/new/")
    unknown = client.get("/subscribers/new-ish/nothing/")
    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.content == unknown.content
    assert "<h1>Page not found</h1>" in forbidden.content.decode()


def test_a_foreign_subscriber_reads_like_an_unknown_one_on_the_product_page(
    cast, client_for
):
    client = client_for(cast.charlie)
    foreign = client.get(f"/subscribers/{cast.sam.public_id}/")
    unknown = client.get(f"/subscribers/{UNKNOWN_ID}/")
    assert foreign.content == unknown.content
    assert "<h1>Page not found</h1>" in foreign.content.decode()
    assert "Sam" not in foreign.content.decode()


def test_visitors_who_are_not_signed_in_get_ways_to_sign_in(db):
    body = Client().get("/numbers/nothing-here/").content.decode()
    assert "<h1>Page not found</h1>" in body
    assert 'href="/login/"' in body and 'href="/portal/login/"' in body
    assert "CSR menu" not in body


def test_the_portal_sends_a_lost_subscriber_back_to_their_account(db):
    body = Client().get("/portal/no-such-page/").content.decode()
    assert "<h1>Page not found</h1>" in body
    assert 'href="/portal/"' in body
    assert "CX Builder" in body


def test_an_expired_form_is_explained_not_refused_bare(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.bob)
    response = client.post("/subscribers/new/", {"first_name": "X"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>This form has expired</h1>" in body
    assert "Nothing was saved" in body
    assert "CSRF verification failed" not in body


def test_the_api_keeps_answering_problem_json(cast, api_client_for):
    response = api_client_for(cast.acme).get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_not_found_page_is_accessible(cast, page):
    page.goto("/no-such-page/")
    page.get_by_role("heading", name="Page not found").wait_for()
    assert_accessible(page)
    browser_login(page, cast.bob)
    page.goto(f"/subscribers/{UNKNOWN_ID}/")
    page.get_by_role("heading", name="Page not found").wait_for()
    page.get_by_role("navigation", name="CSR menu").wait_for()
    assert_accessible(page)


def test_a_server_error_gets_a_page_of_the_product(rf):
    from csrtool.views import server_error

    response = server_error(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in body
    assert "/static/csrtool/app.css" in body
