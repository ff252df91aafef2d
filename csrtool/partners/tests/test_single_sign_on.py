"""Signing in at a partner's OpenID provider: a real one (node's oidc-provider) on
loopback, driven like a browser would, against the console's pages."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, free_port, make_staff
from csrtool.errors import ValidationFailed
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Role, User
from csrtool.partners.single_sign_on import set_single_sign_on
from csrtool.tests.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    OpenIDProvider,
    ProviderUserAgent,
)

CALLBACK = "http://testserver/login/sso/callback/"
RULES = "partner_admin: groups=admins\ncsr: groups=support\nauditor: groups=audit"


def start_provider(mode=""):
    return OpenIDProvider(
        port=free_port(),
        redirect_uris=[CALLBACK],
        post_logout_uris=["http://testserver/login/"],
        mode=mode,
    )


@pytest.fixture
def provider():
    started = start_provider()
    yield started
    started.stop()


def give_sso(partner, provider, *, domains="acme.example", issuer=None, **changes):
    return set_single_sign_on(
        actor=cli_actor(),
        partner=partner,
        issuer=issuer or provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        domains=domains,
        role_rules=RULES,
        **{"password_sign_in_allowed": True, **changes},
    )


def to_provider(client, email) -> str:
    response = client.post("/login/", {"username": email}, follow=True)
    assert response.redirect_chain[-1][0] == "/login/sso/continue/"
    return response.context["url"]


def sso_sign_in(client, provider, email, *, login=None, tamper=None):
    """Email first on our login page, sign in at the provider as `login`, come
    back; `tamper` may change the address the browser goes to on either side."""
    url = to_provider(client, email)
    assert url.startswith(provider.issuer + "/auth?"), url
    if tamper:
        url = tamper(url)
    back = ProviderUserAgent().sign_in(url, login=login or email, back_to=CALLBACK)
    if tamper:
        back = tamper(back)
    return client.get(back.removeprefix("http://testserver"), follow=True)


def with_param(url: str, **params) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in params.items():
        if key in query:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def signed_in_as(client) -> User | None:
    response = client.get("/")
    user = response.wsgi_request.user
    return user if response.status_code == 200 and user.is_authenticated else None


def actions(partner) -> list[str]:
    return list(
        AuditEvent.objects.filter(partner=partner)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_first_sign_in_makes_the_member_with_the_role_their_claims_map_to(
    cast, provider
):
    give_sso(cast.acme, provider)
    provider.set_account(
        "dana@acme.example",
        email="dana@acme.example",
        email_verified=True,
        name="Dana Doe",
        groups=["staff", "support"],
    )
    client = Client()
    response = sso_sign_in(client, provider, "dana@acme.example")
    assert response.status_code == 200
    dana = User.objects.get(email_canonical="dana@acme.example")
    assert (dana.partner, dana.role, dana.full_name) == (
        cast.acme,
        Role.CSR,
        "Dana Doe",
    )
    assert not dana.has_usable_password()
    assert signed_in_as(client) == dana
    assert actions(cast.acme)[-3:] == [
        "staff.created",
        "staff.sso_sign_in",
        "staff.login",
    ]
    # The provider owns this sign-in's second factor: none is asked here.
    assert "second-factor" not in response.redirect_chain[-1][0]


def test_a_later_sign_in_gives_the_role_the_claims_map_to_now(cast, provider):
    give_sso(cast.acme, provider)
    provider.set_account("bob", email="bob@acme.example", groups=["admins"])
    client = Client()
    sso_sign_in(client, provider, "bob@acme.example", login="bob")
    cast.bob.refresh_from_db()
    assert cast.bob.role == Role.PARTNER_ADMIN
    assert signed_in_as(client) == cast.bob
    event = AuditEvent.objects.get(action="staff.role_changed")
    assert (event.before, event.after) == ({"role": "csr"}, {"role": "partner_admin"})

    provider.set_account("bob", email="bob@acme.example", groups=["audit"])
    sso_sign_in(Client(), provider, "bob@acme.example", login="bob")
    cast.bob.refresh_from_db()
    assert cast.bob.role == Role.AUDITOR


def test_claims_that_map_to_no_role_are_refused_and_switch_the_member_off(
    cast, provider, client_for
):
    give_sso(cast.acme, provider)
    elsewhere = client_for(cast.bob)
    assert signed_in_as(elsewhere) == cast.bob
    provider.set_account("bob", email="bob@acme.example", groups=["marketing"])
    client = Client()
    response = sso_sign_in(client, provider, "bob@acme.example", login="bob")
    assert "gives you no access to this console" in response.content.decode()
    assert signed_in_as(client) is None
    cast.bob.refresh_from_db()
    assert not cast.bob.is_active
    # Every session of theirs ended at once.
    assert signed_in_as(elsewhere) is None
    assert not [
        row
        for row in Session.objects.all()
        if row.get_decoded().get("_auth_user_id") == str(cast.bob.pk)
    ]
    refused = AuditEvent.objects.get(action="staff.sso_refused")
    assert (refused.partner, refused.target_label, refused.outcome) == (
        cast.acme,
        "bob@acme.example",
        "refused",
    )
    off = AuditEvent.objects.filter(action="staff.updated").last()
    assert off.after == {"is_active": False}
    # Nobody new is made for claims that map to nothing.
    provider.set_account("new", email="new@acme.example", groups=["marketing"])
    sso_sign_in(Client(), provider, "new@acme.example", login="new")
    assert not User.objects.filter(email_canonical="new@acme.example").exists()


def test_a_tampered_state_signs_nobody_in(cast, provider):
    give_sso(cast.acme, provider)
    provider.set_account("bob", email="bob@acme.example", groups=["support"])
    client = Client()
    response = sso_sign_in(
        client,
        provider,
        "bob@acme.example",
        login="bob",
        tamper=lambda url: (
            with_param(url, state="forged-state") if url.startswith(CALLBACK) else url
        ),
    )
    assert "Single sign-on did not complete" in response.content.decode()
    assert signed_in_as(client) is None
    failed = AuditEvent.objects.get(action="staff.sso_failed")
    assert "MismatchingState" in failed.reason


def test_an_id_token_for_another_nonce_signs_nobody_in(cast, provider):
    give_sso(cast.acme, provider)
    provider.set_account("bob", email="bob@acme.example", groups=["support"])
    client = Client()
    # The provider is asked (and answers) for a nonce this session never made.
    response = sso_sign_in(
        client,
        provider,
        "bob@acme.example",
        login="bob",
        tamper=lambda url: with_param(url, nonce="someone-elses-nonce"),
    )
    assert "Single sign-on did not complete" in response.content.decode()
    assert signed_in_as(client) is None
    assert "nonce" in AuditEvent.objects.get(action="staff.sso_failed").reason


@pytest.mark.parametrize(
    ("mode", "claim"),
    [("other-issuer", "iss"), ("audience", "aud"), ("expired", "expired")],
)
def test_an_id_token_of_another_issuer_or_audience_or_expired_signs_nobody_in(
    cast, mode, claim
):
    provider = start_provider(mode)
    try:
        # The partner names the issuer its discovery names; only the ID token
        # says otherwise (other-issuer).
        elsewhere = provider.issuer + "/elsewhere" if mode == "other-issuer" else None
        give_sso(cast.acme, provider, issuer=elsewhere)
        provider.set_account("bob", email="bob@acme.example", groups=["support"])
        client = Client()
        response = sso_sign_in(client, provider, "bob@acme.example", login="bob")
    finally:
        provider.stop()
    assert "Single sign-on did not complete" in response.content.decode()
    assert signed_in_as(client) is None
    assert claim in AuditEvent.objects.get(action="staff.sso_failed").reason
    assert not AuditEvent.objects.filter(action="staff.sso_sign_in").exists()


def test_a_partners_provider_never_signs_anyone_into_another_partner(cast, provider):
    give_sso(cast.acme, provider)
    eve = make_staff("eve@acme.example", partner=cast.globex, role=Role.CSR)
    # Acme's provider vouches for an address of Globex's domain, …
    provider.set_account("x", email="charlie@globex.example", groups=["admins"])
    # … and for an acme.example address that is Globex's member of staff.
    provider.set_account("eve", email="eve@acme.example", groups=["admins"])
    # … and for a new address of Globex's domain.
    provider.set_account("new", email="newbie@globex.example", groups=["admins"])
    for login, email in (
        ("x", "dana@acme.example"),
        ("eve", "eve@acme.example"),
        ("new", "dana@acme.example"),
    ):
        client = Client()
        response = sso_sign_in(client, provider, email, login=login)
        assert "gives you no access" in response.content.decode()
        assert signed_in_as(client) is None
    for member in (cast.charlie, eve):
        member.refresh_from_db()
        assert (member.partner, member.role, member.is_active) == (
            cast.globex,
            Role.CSR,
            True,
        )
    assert User.objects.filter(partner=cast.acme).count() == 3
    assert not User.objects.filter(email_canonical="newbie@globex.example").exists()
    refusals = AuditEvent.objects.filter(action="staff.sso_refused")
    assert {event.partner for event in refusals} == {cast.acme}
    assert not AuditEvent.objects.filter(partner=cast.globex).exists()
    # And Globex's staff keep signing in with their passwords.
    response = Client().post(
        "/login/", {"username": "charlie@globex.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_domain_is_covered_by_one_partner_only(cast, provider):
    give_sso(cast.acme, provider)
    with pytest.raises(ValidationFailed) as refused:
        give_sso(cast.globex, provider, domains="globex.example ACME.example")
    assert refused.value.errors["domains"] == [
        "Another partner's single sign-on covers acme.example."
    ]


def test_staff_of_a_partner_without_password_sign_in_are_sent_to_the_provider(
    cast, provider
):
    give_sso(cast.acme, provider, password_sign_in_allowed=False)
    # Their (right) password is refused, with the way in; also for a member
    # whose address is outside the covered domains.
    pat = make_staff("pat@contractor.example", partner=cast.acme)
    for member in (cast.bob, pat):
        response = Client().post(
            "/login/", {"username": member.email, "password": PASSWORD}
        )
        assert "Your organisation signs you in" in response.content.decode()
        assert response.wsgi_request.user.is_anonymous
    # With the password left blank, the provider signs them in.
    assert to_provider(Client(), "bob@acme.example").startswith(provider.issuer)
    # Operators (even in a covered domain) and other partners' staff sign in
    # with passwords as before.
    olivia = make_staff("olivia@acme.example", role=Role.OPERATOR)
    for member in (olivia, cast.charlie):
        response = Client().post(
            "/login/", {"username": member.email, "password": PASSWORD}
        )
        assert response.status_code == 302, member
        assert "second-factor" in response["Location"] or response["Location"] == "/"


def test_a_blank_password_without_single_sign_on_asks_for_the_password(cast):
    response = Client().post("/login/", {"username": "charlie@globex.example"})
    assert "Enter your password." in response.content.decode()


def test_signing_out_signs_out_here_and_at_the_provider(cast, provider):
    give_sso(cast.acme, provider)
    provider.set_account("bob", email="bob@acme.example", groups=["support"])
    client = Client()
    sso_sign_in(client, provider, "bob@acme.example", login="bob")
    response = client.post("/logout/")
    assert signed_in_as(client) is None
    assert "Sign out at your organisation too" in response.content.decode()
    url = urlsplit(response.context["url"])
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == provider.issuer + "/session/end"
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert query["id_token_hint"][0].count(".") == 2
    # The provider takes it: it asks to confirm signing out of itself.
    at_provider = ProviderUserAgent().session.get(response.context["url"], timeout=10)
    assert at_provider.status_code == 200
    assert "logout" in at_provider.text
    assert AuditEvent.objects.filter(action="staff.logout").exists()


def test_a_password_sign_out_stays_here(cast, provider):
    give_sso(cast.acme, provider)
    client = Client()
    client.post("/login/", {"username": "bob@acme.example", "password": PASSWORD})
    assert signed_in_as(client) == cast.bob
    response = client.post("/logout/")
    assert response["Location"] == "/login/"


def test_sensitive_actions_of_a_member_signed_in_at_the_provider_sign_in_again(
    cast, provider, settings
):
    give_sso(cast.acme, provider)
    provider.set_account("alice", email="alice@acme.example", groups=["admins"])
    client = Client()
    sso_sign_in(client, provider, "alice@acme.example", login="alice")
    assert client.get("/settings/single-sign-on/").status_code == 200
    settings.SECOND_FACTOR_FRESH_MINUTES = 0
    response = client.get("/settings/single-sign-on/", follow=True)
    url = response.context["url"]
    assert url.startswith(provider.issuer + "/auth?")
    query = parse_qs(urlsplit(url).query)
    assert (query["prompt"], query["max_age"]) == (["login"], ["0"])
    # Signing in there again (as themselves) lets them on.
    back = ProviderUserAgent().sign_in(url, login="alice", back_to=CALLBACK)
    settings.SECOND_FACTOR_FRESH_MINUTES = 15
    response = client.get(back.removeprefix("http://testserver"))
    assert response["Location"] == "/settings/single-sign-on/"
    assert client.get("/settings/single-sign-on/").status_code == 200
