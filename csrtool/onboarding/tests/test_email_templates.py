"""A partner admin's own wording of its subscriber emails: the placeholder
language refuses anything but the kind's named placeholders, the HTML is
sanitised, required placeholders are required, every change is audited with
before and after, and nothing crosses partners."""

import pytest

from csrtool.audit.models import AuditEvent
from csrtool.errors import NotFound, PermissionDenied, ValidationFailed
from csrtool.onboarding.email_templates import services
from csrtool.onboarding.email_templates.rules import built_in
from csrtool.onboarding.models import EmailTemplate

GOOD = {
    "subject": "Hi {{ first_name }}, your {{ product_name }} account",
    "text": "Hello {{ first_name }},\n\nStart here: {{ link }}\n",
    "html": '<p>Hello {{ first_name }},</p><p><a href="{{ link }}">Start</a></p>',
}


def save(actor, kind="welcome", slug="acme", **parts):
    return services.save_template(
        actor=actor, slug=slug, kind=kind, **{**GOOD, **parts}
    )


def refusal(actor, **parts) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        save(actor, **parts)
    assert not EmailTemplate.objects.exists()
    return caught.value.errors


@pytest.mark.parametrize(
    ("field", "source", "refused"),
    [
        (
            "text",
            "Key: {{ partner.api_key }} {{ link }}",
            "{{ partner.api_key }} is not allowed: a placeholder is one name",
        ),
        (
            "html",
            "<p>{{ subscriber.credentials }} {{ link }}</p>",
            "{{ subscriber.credentials }} is not allowed: a placeholder is one name",
        ),
        ("text", "{% load static %}{{ link }}", "{% load static %} is not allowed"),
        ("html", "{% debug %}<a href='{{ link }}'>x</a>", "{% debug %} is not allowed"),
        (
            "text",
            "{{ link|safe }}",
            "{{ link|safe }} is not allowed: placeholders take no filters",
        ),
        (
            "html",
            "<p>{{ link }}{{ first_name|upper }}</p>",
            "{{ first_name|upper }} is not allowed: placeholders take no filters",
        ),
        ("text", "{{ link }} {{ settings }}", "{{ settings }} is not a placeholder"),
        ("subject", "Your {{ link }}", "{{ link }} is not a placeholder of this"),
        ("text", "{{ link }} {# hidden #}", "{# hidden #} is not allowed"),
        ("text", "{{ link }} {{ first_name", "A {{ has no closing }}"),
        (
            "html",
            "{{ link }}{{ request['user'] }}",
            "{{ request['user'] }} is not allowed: a placeholder is one name",
        ),
        ("text", "{{ link }} {{ Link }}", "{{ Link }} is not a placeholder"),
    ],
)
def test_it_refuses_anything_but_the_kinds_placeholders(
    field, source, refused, cast, actor_of
):
    errors = refusal(actor_of(cast.alice), **{field: source})
    assert any(message.startswith(refused) for message in errors[field]), errors


def test_an_unknown_placeholder_is_named_with_the_ones_offered(cast, actor_of):
    errors = refusal(actor_of(cast.alice), text="{{ link }} {{ api_key }}")
    [message] = errors["text"]
    assert "{{ api_key }} is not a placeholder of this email" in message
    assert "{{ first_name }}" in message and "{{ link }}" in message


def test_the_link_is_required_in_the_text_and_in_the_html(cast, actor_of):
    errors = refusal(
        actor_of(cast.alice), text="Hello {{ first_name }}", html="<p>Hello</p>"
    )
    assert errors["text"] == ["{{ link }} is required: this email needs it."]
    assert errors["html"] == ["{{ link }} is required: this email needs it."]
    # A notice carries no link: nothing is required there.
    save(actor_of(cast.alice), kind="pin_changed", text="Changed.", html="<p>x</p>")


def test_a_link_inside_a_script_is_removed_and_so_missing(cast, actor_of):
    errors = refusal(
        actor_of(cast.alice), html="<script>location='{{ link }}'</script><p>Hi</p>"
    )
    assert errors["html"] == ["{{ link }} is required: this email needs it."]


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("Welcome\nBcc: victim@example.com", "one line"),
        ("Welcome\r\nX-Injected: 1", "one line"),
        ("Welcome <b>{{ first_name }}</b>", "no markup"),
        ("<script>alert(1)</script>", "no markup"),
        ("Hi\x00there", "control character"),
        ("   ", "cannot be empty"),
        ("x" * 201, "at most 200"),
    ],
)
def test_the_subject_is_one_line_of_plain_text(subject, reason, cast, actor_of):
    errors = refusal(actor_of(cast.alice), subject=subject)
    assert reason in errors["subject"][0]


def test_script_event_handlers_and_javascript_links_do_not_survive(cast, actor_of):
    state, tidied = save(
        actor_of(cast.alice),
        html=(
            '<p onclick="steal()">Hi {{ first_name }}</p>'
            "<script>alert(document.cookie)</script>"
            '<a href="javascript:alert(1)">bad</a>'
            '<a href="{{ link }}" style="background:{{ brand_colour }};'
            'position:fixed">Start</a>'
            '<img src="https://acme.example/logo.png" onerror="x()">'
            "<iframe src='https://evil.example'></iframe><style>p{}</style>"
        ),
    )
    html = state.parts.html
    assert tidied is True
    for gone in ("onclick", "<script", "javascript:", "onerror", "<iframe", "<style"):
        assert gone not in html
    # What is allowed keeps working: the placeholders, inline colour, the image.
    assert '<a href="{{ link }}" style="background:{{ brand_colour }}">' in html
    assert '<img src="https://acme.example/logo.png">' in html


def test_saving_keeps_the_wording_and_audits_before_and_after(cast, actor_of):
    state, tidied = save(actor_of(cast.alice))
    assert state.custom and not tidied
    row = EmailTemplate.objects.get()
    assert (row.partner, row.kind, row.language) == (cast.acme, "welcome", "en")
    assert row.subject == GOOD["subject"] and row.html == GOOD["html"]
    assert row.updated_by == "alice@acme.example"
    event = AuditEvent.objects.get(action="email_template.saved")
    assert event.partner == cast.acme and event.target_id == "welcome:en"
    assert event.before["built_in"] is True
    assert event.before["subject"] == built_in("welcome").subject
    assert event.after == {**GOOD, "built_in": False}

    save(actor_of(cast.alice), subject="Welcome aboard, {{ first_name }}")
    second = AuditEvent.objects.filter(action="email_template.saved").latest("id")
    assert second.before["subject"] == GOOD["subject"]
    assert second.after["subject"] == "Welcome aboard, {{ first_name }}"
    # Saving the same wording again changes nothing and audits nothing.
    save(actor_of(cast.alice), subject="Welcome aboard, {{ first_name }}")
    assert AuditEvent.objects.filter(action="email_template.saved").count() == 2


def test_reset_returns_to_the_built_in_wording_audited(cast, actor_of):
    save(actor_of(cast.alice))
    state = services.reset_template(
        actor=actor_of(cast.alice), slug="acme", kind="welcome"
    )
    assert not state.custom and state.parts == built_in("welcome")
    assert not EmailTemplate.objects.exists()
    event = AuditEvent.objects.get(action="email_template.reset")
    assert event.before == {**GOOD, "built_in": False}
    assert event.after["built_in"] is True
    assert event.after["subject"] == built_in("welcome").subject
    # Nothing to reset: nothing happens, nothing is audited.
    services.reset_template(actor=actor_of(cast.alice), slug="acme", kind="welcome")
    assert AuditEvent.objects.filter(action="email_template.reset").count() == 1


def test_another_partners_emails_are_unknown_and_untouchable(cast, actor_of):
    save(actor_of(cast.alice))
    gina = actor_of(cast.gina)
    for call in (
        lambda: services.get_template(actor=gina, slug="acme", kind="welcome"),
        lambda: services.list_templates(actor=gina, slug="acme"),
        lambda: save(gina),
        lambda: services.reset_template(actor=gina, slug="acme", kind="welcome"),
        lambda: services.preview(actor=gina, slug="acme", kind="welcome"),
        lambda: services.send_test(actor=gina, slug="acme", kind="welcome"),
    ):
        with pytest.raises(NotFound):
            call()
    # Globex's own emails are still the built-in ones.
    globex = services.get_template(actor=gina, slug="globex", kind="welcome")
    assert not globex.custom
    assert EmailTemplate.objects.get().subject == GOOD["subject"]


def test_only_partner_admins_and_the_operator_change_them(cast, actor_of, cli):
    for member in (cast.bob, cast.avery):
        with pytest.raises(PermissionDenied):
            save(actor_of(member))
    state, _ = save(cli, slug="globex")
    assert state.partner == cast.globex and state.custom


def test_an_unknown_kind_or_language_is_refused_by_name(cast, actor_of):
    with pytest.raises(NotFound, match="no email kind 'invitation'"):
        save(actor_of(cast.alice), kind="invitation")
    with pytest.raises(ValidationFailed) as caught:
        services.get_template(
            actor=actor_of(cast.alice), slug="acme", kind="welcome", language="xx"
        )
    assert "en (English)" in caught.value.errors["language"][0]


def test_the_preview_fills_in_a_sample_customer_escaped_in_html(cast, actor_of):
    cast.acme.product_name = "AT&T <Voice>"
    cast.acme.save()
    rendered = services.preview(
        actor=actor_of(cast.alice),
        slug="acme",
        kind="welcome",
        draft={**GOOD, "html": "<p>{{ product_name }}: {{ link }}</p>"},
    )
    assert rendered["subject"] == "Hi Alex, your AT&T <Voice> account"
    assert "Start here: http://127.0.0.1:8000/welcome/sample-link/" in rendered["text"]
    assert (
        "<p>AT&amp;T &lt;Voice&gt;: http://127.0.0.1:8000/welcome/sample-link/"
        in (rendered["html"])
    )
    assert not EmailTemplate.objects.exists()
    # A draft that saving would refuse is refused the same way.
    with pytest.raises(ValidationFailed):
        services.preview(
            actor=actor_of(cast.alice),
            slug="acme",
            kind="welcome",
            draft={**GOOD, "text": "{{ partner.api_key }}"},
        )
