"""The Subscriber Emails pages, /api/v1/partners/{slug}/email-templates and
`csrtool emailtemplates`: the same operations and refusals through each door,
for the partner's own admins (and the operator) only."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from csrtool.api.services import create_operator_key
from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.onboarding.models import EmailTemplate, OutboundEmail
from csrtool.onboarding.tests.test_email_templates_delivery import ACME_WELCOME
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Role

PAGE = "/settings/emails/welcome/"
API = "/api/v1/partners/acme/email-templates"


# The pages.


def test_the_list_shows_each_kind_and_whose_wording_it_is(cast, client_for):
    EmailTemplate.objects.create(
        partner=cast.acme, kind="password_reset", **_parts(), updated_by="alice"
    )
    html = client_for(cast.alice).get("/settings/emails/").content.decode()
    assert "Subscriber emails of Acme Telecom" in html
    assert 'href="/settings/emails/welcome/?language=en">Welcome</a>' in html
    assert html.count("Your own") == 1 and html.count("Built-in") == 6
    # Each language has its own wordings.
    assert 'href="?language=es"' in html
    html = client_for(cast.alice).get("/settings/emails/?language=es").content
    html = html.decode()
    assert 'href="/settings/emails/welcome/?language=es">Welcome</a>' in html
    assert html.count("Your own") == 0 and html.count("Built-in") == 7
    menu = client_for(cast.alice).get("/settings/").content.decode()
    assert 'href="/settings/emails/">Subscriber Emails</a>' in menu


def _parts():
    return {k: v for k, v in ACME_WELCOME.items()}


def test_the_editor_saves_refuses_tests_and_resets(cast, client_for, smtpd):
    alice = client_for(cast.alice)
    page = alice.get(PAGE).content.decode()
    assert "The built-in wording" in page
    assert "Welcome to {{ product_name }}: set up your account" in page
    assert "{{ link }}</code> <strong>(required)</strong>" in page

    refused = alice.post(PAGE, {**_parts(), "text": "Hi {{ partner.api_key }}"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "{{ partner.api_key }} is not allowed" in body
    assert "{{ link }} is required" in body
    assert not EmailTemplate.objects.exists()

    saved = alice.post(PAGE, _parts(), follow=True)
    assert "The welcome email is saved." in saved.content.decode()
    assert EmailTemplate.objects.get().subject == ACME_WELCOME["subject"]
    tidied = alice.post(
        PAGE, {**_parts(), "html": "<p onclick='x()'>{{ link }}</p>"}, follow=True
    ).content.decode()
    assert "markup email does not allow" in tidied
    assert EmailTemplate.objects.get().html == "<p>{{ link }}</p>"

    test = alice.post(f"{PAGE.rstrip('/')}/test/", {**_parts(), "subject": "Try"})
    assert test.status_code == 200
    assert "is on its way to alice@acme.example" in test.content.decode()
    assert 'value="Try"' in test.content.decode(), "the typed values stay"
    run_jobs()
    assert [m["Subject"] for m in smtpd.to("alice@acme.example")] == ["Try"]

    reset = alice.post(f"{PAGE.rstrip('/')}/reset/", follow=True).content.decode()
    assert "back to the built-in one" in reset
    assert not EmailTemplate.objects.exists()
    assert [e.action for e in AuditEvent.objects.order_by("id")][-4:] == [
        "email_template.saved",
        "email_template.saved",
        "email_template.test_sent",
        "email_template.reset",
    ]


def test_the_preview_frame_shows_the_draft_sandboxed_under_a_strict_policy(
    cast, client_for
):
    alice = client_for(cast.alice)
    page = alice.get(PAGE).content.decode()
    assert '<iframe name="email-preview" class="email-preview" sandbox ' in page
    preview = alice.post(
        f"{PAGE}preview/",
        {**_parts(), "html": "<p>Hi {{ first_name }} {{ link }}<script>x()</script>"},
    )
    policy = preview["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    html = preview.content.decode()
    assert "Alex, your CX Builder line is ready" in html
    assert "<iframe sandbox" in html
    # The email is the frame's srcdoc: escaped, so no quote in it ends the attribute.
    assert "&lt;p&gt;Hi Alex http://127.0.0.1:8000/welcome/sample-link/&lt;/p&gt;" in (
        html
    )
    assert "sample-link/</p>" not in html
    assert "x()" not in html
    assert "Hi Alex Sample!" in html
    refused = alice.post(f"{PAGE}preview/", {**_parts(), "subject": "<b>x</b>"})
    assert "The subject is plain text" in refused.content.decode()
    # Without a draft: the wording saved (here the built-in one).
    saved = alice.get(f"{PAGE}preview/").content.decode()
    assert "Welcome to CX Builder: set up your account" in saved
    assert not EmailTemplate.objects.exists()


def test_other_partners_csrs_and_the_operators_own_pages(cast, client_for):
    for member in (cast.bob, cast.avery):
        assert client_for(member).get(PAGE).status_code == 404
        assert client_for(member).post(PAGE, _parts()).status_code == 404
    gina = client_for(cast.gina)
    # Gina's /settings/emails/ is Globex's: Acme's are reached nowhere.
    assert "Globex Voice" in gina.get("/settings/emails/").content.decode()
    assert gina.get("/partners/acme/emails/welcome/").status_code == 404
    gina.post(PAGE, _parts())
    assert EmailTemplate.objects.get().partner == cast.globex
    # The operator edits any partner's emails under /partners/<slug>/.
    olivia = client_for(cast.olivia)
    assert olivia.get("/settings/emails/").status_code == 302
    operator_page = "/partners/acme/emails/welcome/"
    assert "Welcome email of Acme Telecom" in olivia.get(operator_page).content.decode()
    olivia.post(operator_page, {**_parts(), "subject": "Operator's"})
    assert EmailTemplate.objects.get(partner=cast.acme).subject == "Operator's"
    assert olivia.get("/partners/nope/emails/welcome/").status_code == 404
    assert olivia.get("/partners/acme/emails/nope/").status_code == 404


def test_the_settings_pages_preview_shows_the_partners_own_welcome_email(
    cast, client_for
):
    alice = client_for(cast.alice)
    before = alice.get("/settings/preview/welcome-email/?partner=acme")
    assert "Set up my account" in before.content.decode()
    alice.post(PAGE, _parts())
    after = alice.get("/settings/preview/welcome-email/?partner=acme").content.decode()
    assert "Hi Alex!" in after and "Set up my account" not in after
    detail = client_for(cast.olivia).get("/partners/acme/").content.decode()
    assert 'href="/partners/acme/emails/">Subscriber emails</a>' in detail


# The API.


def test_the_api_lists_gets_puts_previews_and_deletes(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    listed = api.get(API).json()
    assert [t["kind"] for t in listed][:3] == [
        "welcome",
        "password_reset",
        "email_change",
    ]
    assert not any(t["custom"] for t in listed)
    one = api.get(f"{API}/welcome").json()
    assert one["required"] == ["link"] and "first_name" in one["placeholders"]

    put = api.put(f"{API}/welcome", _parts(), content_type="application/json")
    assert put.status_code == 200, put.json()
    assert put.json()["custom"] is True and put.json()["html_tidied"] is False
    assert api.get(f"{API}/welcome").json()["subject"] == ACME_WELCOME["subject"]

    preview = api.post(
        f"{API}/welcome/preview",
        {"subject": "Hello {{ first_name }}"},
        content_type="application/json",
    ).json()
    assert preview["subject"] == "Hello Alex"
    assert "Hi Alex Sample!" in preview["text"]

    reset = api.delete(f"{API}/welcome")
    assert reset.status_code == 200 and reset.json()["custom"] is False
    assert not EmailTemplate.objects.exists()
    assert AuditEvent.objects.filter(channel="api").count() == 2


def test_the_api_refuses_hostile_templates_by_name(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    answer = api.put(
        f"{API}/welcome",
        {**_parts(), "text": "{% load static %}{{ link|safe }}", "subject": "a\nb"},
        content_type="application/json",
    )
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["code"] == "validation_failed"
    messages = {(e["field"], e["message"][:22]) for e in problem["errors"]}
    assert ("text", "{% load static %} is n") in messages
    assert ("text", "{{ link|safe }} is not") in messages
    assert ("subject", "The subject is one lin") in messages
    unknown = api.get(f"{API}/invitation")
    assert unknown.status_code == 404 and "welcome" in unknown.json()["detail"]
    bad_language = api.get(f"{API}/welcome?language=xx")
    assert bad_language.status_code == 400
    assert not EmailTemplate.objects.exists()


def test_the_api_keeps_partners_apart(cast, api_client_for):
    globex = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    assert globex.get(API).status_code == 404
    assert (
        globex.put(f"{API}/welcome", _parts(), content_type="application/json")
    ).status_code == 404
    assert globex.delete(f"{API}/welcome").status_code == 404
    csr = api_client_for(cast.acme, Role.CSR)
    assert csr.get(API).status_code == 403
    assert not EmailTemplate.objects.exists()


def test_an_operator_key_edits_any_partners_emails(cast):
    _, secret = create_operator_key(actor=cli_actor(), name="ops")
    operator = Client(headers={"Authorization": f"Bearer {secret}"})
    answer = operator.put(
        "/api/v1/partners/globex/email-templates/welcome",
        _parts(),
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert EmailTemplate.objects.get().partner == cast.globex


# The command line.


def cli(capsys, *args):
    call_command("emailtemplates", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_the_command_line_sets_shows_previews_tests_and_resets(
    cast, capsys, tmp_path, smtpd
):
    as_alice = ("--as", "alice@acme.example")
    text = tmp_path / "welcome.txt"
    text.write_text(ACME_WELCOME["text"])
    saved = cli(
        capsys,
        "set",
        "welcome",
        "--subject",
        "Hi {{ first_name }}",
        "--text-file",
        str(text),
        *as_alice,
    )
    assert saved["custom"] is True and saved["subject"] == "Hi {{ first_name }}"
    assert saved["text"] == ACME_WELCOME["text"]
    assert "Set up my account" in saved["html"], "the HTML not given is kept"
    listed = cli(capsys, "list", *as_alice)
    assert [t["custom"] for t in listed][:2] == [True, False]
    assert cli(capsys, "preview", "welcome", *as_alice)["subject"] == "Hi Alex"
    assert cli(capsys, "test", "welcome", *as_alice)["recipient"] == (
        "alice@acme.example"
    )
    run_jobs()
    assert [m["Subject"] for m in smtpd.messages] == ["Hi Alex"]
    assert cli(capsys, "reset", "welcome", *as_alice)["custom"] is False
    event = AuditEvent.objects.get(action="email_template.reset")
    assert event.channel == "cli" and event.before["subject"] == "Hi {{ first_name }}"


def test_the_command_line_refuses_clearly(cast, capsys):
    with pytest.raises(CommandError, match="partner.api_key"):
        call_command(
            "emailtemplates",
            "set",
            "welcome",
            "--subject",
            "{{ partner.api_key }}",
            "--as",
            "alice@acme.example",
        )
    with pytest.raises(CommandError, match="Choose a partner"):
        call_command("emailtemplates", "list")
    with pytest.raises(CommandError, match="No partner has the slug 'acme'"):
        call_command(
            "emailtemplates",
            "show",
            "welcome",
            "--partner",
            "acme",
            "--as",
            "gina@globex.example",
        )
    with pytest.raises(CommandError, match="your own email address"):
        call_command("emailtemplates", "test", "welcome", "--partner", "acme")
    assert not EmailTemplate.objects.exists()
    assert not OutboundEmail.objects.exists()
    # The operator names the partner.
    shown = cli(capsys, "show", "welcome", "--partner", "globex")
    assert shown["custom"] is False
