"""A partner's own portal host: set by the platform operator only, validated and
unique; it serves that partner's customer pages in its brand and nothing else,
only its subscribers sign in there, its emails link to it, and any host nobody
has is refused."""

import re

import pytest
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.errors import PermissionDenied, ValidationFailed
from csrtool.onboarding.services import resend_welcome
from csrtool.partners.access import staff_actor
from csrtool.partners.services import update_partner
from csrtool.portal.auth import LOGIN_REFUSED
from csrtool.portal.tests.conftest import SAM_PASSWORD, deliver_all

ACME_HOST = "account.acme-voice.example"
GLOBEX_HOST = "my.globex.example"


@pytest.fixture
def hosts(cast):
    olivia = staff_actor(cast.olivia)
    update_partner(
        actor=olivia, slug="acme", portal_host=ACME_HOST, product_name="Acme Voice"
    )
    update_partner(actor=olivia, slug="globex", portal_host=GLOBEX_HOST)
    cast.acme.refresh_from_db()
    cast.globex.refresh_from_db()
    return cast


def on(host: str) -> Client:
    return Client(HTTP_HOST=host)


def test_the_operator_sets_a_partners_host_and_bad_ones_are_refused(cast):
    olivia = staff_actor(cast.olivia)
    acme = update_partner(
        actor=olivia, slug="acme", portal_host=" Account.Acme-Voice.EXAMPLE. "
    )
    assert acme.portal_host == ACME_HOST
    change = AuditEvent.objects.filter(action="partner.updated").latest("id")
    assert change.after == {"portal_host": ACME_HOST}
    for bad in (
        "https://account.example.com",
        "account.example.com:8443",
        "account.example.com/portal",
        "10.0.0.1",
        "intranet",
        "under_score.example.com",
        "-dash.example.com",
        "testserver.",  # the console's own host
        "a" * 64 + ".example.com",
    ):
        with pytest.raises(ValidationFailed) as refused:
            update_partner(actor=olivia, slug="globex", portal_host=bad)
        assert "portal_host" in refused.value.errors, bad
    with pytest.raises(ValidationFailed, match="Another partner has this host"):
        update_partner(actor=olivia, slug="globex", portal_host=ACME_HOST.upper())
    # An internationalised name is kept in its ASCII form.
    globex = update_partner(actor=olivia, slug="globex", portal_host="kunden.bücher.de")
    assert globex.portal_host == "kunden.xn--bcher-kva.de"
    # A partner's own admin cannot point a host at it (nor away from it).
    with pytest.raises(PermissionDenied):
        update_partner(
            actor=staff_actor(cast.alice), slug="acme", portal_host="acme.example.org"
        )
    with pytest.raises(PermissionDenied):
        update_partner(actor=staff_actor(cast.alice), slug="acme", portal_host="")


def test_a_partner_admin_saves_settings_without_seeing_the_host(hosts, client_for):
    page = client_for(hosts.alice).get("/settings/")
    assert page.status_code == 200
    assert "portal_host" not in page.content.decode()
    form = page.context["form"]
    values = {name: form[name].value() for name in form.fields}
    values = {name: value for name, value in values.items() if value is not None}
    saved = client_for(hosts.alice).post("/settings/", values)
    assert saved.status_code == 302, saved.context["form"].errors
    hosts.acme.refresh_from_db()
    assert hosts.acme.portal_host == ACME_HOST


def test_unknown_hosts_are_refused_and_a_portal_host_serves_only_customer_pages(
    hosts,
):
    assert on("nobody.example").get("/portal/login/").status_code == 400
    assert on("evil." + ACME_HOST).get("/portal/login/").status_code == 400
    login = on(ACME_HOST).get("/portal/login/")
    assert login.status_code == 200
    assert "Sign in to your Acme Voice account" in login.content.decode()
    assert on(ACME_HOST).get("/").url == "/portal/"
    for console in ("/subscribers/", "/login/", "/api/v1/subscribers", "/audit/"):
        assert on(ACME_HOST).get(console).status_code == 404, console
    # The main host serves everything, as before.
    assert on("testserver").get("/portal/login/").status_code == 200
    assert on("testserver").get("/login/").status_code == 200


def test_only_the_partners_own_subscribers_sign_in_on_its_host(hosts, sam, gus):
    def sign_in(host, email):
        return on(host).post(
            "/portal/login/", {"email": email, "password": SAM_PASSWORD}
        )

    assert sign_in(ACME_HOST, sam.email).status_code == 302
    refused = sign_in(ACME_HOST, gus.email)
    assert refused.status_code == 200
    assert LOGIN_REFUSED in refused.content.decode()
    assert sign_in(GLOBEX_HOST, gus.email).status_code == 302
    assert sign_in("testserver", gus.email).status_code == 302


def test_a_partners_emails_link_to_its_host_and_open_only_there(hosts):
    resend_welcome(actor=staff_actor(hosts.bob), public_id=hosts.sam.public_id)
    (message,) = deliver_all()
    link = re.search(r"https?://\S+", message.body).group(0)
    assert link.startswith(f"http://{ACME_HOST}:8000/welcome/"), link
    path = "/" + link.split("/", 3)[3]
    assert on(ACME_HOST).get(path).status_code == 200
    # The same link on another partner's host is a link nobody knows there.
    assert on(GLOBEX_HOST).get(path).status_code == 404
    assert on("testserver").get(path).status_code == 200
