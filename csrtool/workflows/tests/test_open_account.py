"""A new customer in one go: account, number and features, all or nothing, by
the service, the API and the command line."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from csrtool.audit.models import AuditEvent
from csrtool.errors import Conflict, NotFound, ValidationFailed
from csrtool.features.services import DependencyConflict
from csrtool.features.tests.conftest import enabled, make_plan, narrow
from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.onboarding.models import OutboundEmail
from csrtool.subscribers.models import Subscriber
from csrtool.workflows.new_account import numbers_for, open_account

NEW = {
    "first_name": "Nina",
    "last_name": "New",
    "email": "nina@new.example",
    "phone": "(312) 555-0142",
    "billing_id": "NEW-1",
}


def nothing_written():
    assert not Subscriber.objects.filter(email="nina@new.example").exists()
    assert not OutboundEmail.objects.filter(recipient="nina@new.example").exists()
    assert not AuditEvent.objects.filter(target_type="subscriber").exclude(
        target_id__in=Subscriber.objects.values("public_id")
    )


def test_it_creates_assigns_and_enables_in_one_go_each_step_audited(cast, actor_of):
    line = make_number(cast.acme, "3125550100", number_type="local")
    make_plan(cast.alice, "Voice", "voice_sites", "reporting")

    new = open_account(
        actor=actor_of(cast.bob),
        **NEW,
        number="312-555-0100",
        plan="Voice",
        features=["sms"],
    )

    nina = new.subscriber
    line.refresh_from_db()
    assert line.status == NumberStatus.ASSIGNED and line.subscriber == nina
    assert enabled(nina) == {"voice_sites", "reporting", "sms"}
    assert new.plan == "Voice"
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-5:] == [
        "subscriber.created",
        "onboarding.welcome_email_queued",
        "number.assigned",
        "subscriber.plan_applied",
        "subscriber.features_changed",
    ]
    [welcome] = OutboundEmail.objects.filter(recipient="nina@new.example")
    assert welcome.status == "queued"


def test_a_number_taken_meanwhile_leaves_nothing_behind(cast, actor_of):
    line = make_number(cast.acme, "3125550100", number_type="local")
    open_account(
        actor=actor_of(cast.bob),
        **{**NEW, "email": "first@new.example"},
        number="3125550100",
    )

    with pytest.raises(Conflict) as caught:
        open_account(
            actor=actor_of(cast.bob), **NEW, number="3125550100", features=["sms"]
        )

    assert caught.value.field == "number"
    assert "already assigned to" in caught.value.message
    nothing_written()
    line.refresh_from_db()
    assert line.subscriber.email == "first@new.example"


def test_the_dependency_rule_applies_as_on_the_features_page(cast, actor_of):
    with pytest.raises(DependencyConflict) as caught:
        open_account(actor=actor_of(cast.bob), **NEW, features=["outbound_campaigns"])
    assert caught.value.features == ["voice_sites"]
    nothing_written()

    new = open_account(
        actor=actor_of(cast.bob),
        **NEW,
        features=["outbound_campaigns"],
        enable_dependencies=True,
    )
    assert enabled(new.subscriber) == {"outbound_campaigns", "voice_sites"}


def test_a_feature_the_partner_may_not_grant_leaves_nothing_behind(cast, actor_of):
    narrow(cast.acme, "sms")
    with pytest.raises(ValidationFailed) as caught:
        open_account(actor=actor_of(cast.bob), **NEW, features=["web_chat"])
    assert "may not grant" in caught.value.errors["features"][0]
    nothing_written()


def test_another_partners_number_or_plan_answers_like_an_unknown_one(cast, actor_of):
    make_number(cast.globex, "3125550999", number_type="local")
    foreign_plan = make_plan(cast.gina, "Theirs", "sms")
    with pytest.raises(NotFound):
        open_account(actor=actor_of(cast.bob), **NEW, number="3125550999")
    with pytest.raises(NotFound):
        open_account(actor=actor_of(cast.bob), **NEW, plan=foreign_plan.pk)
    with pytest.raises(NotFound):
        open_account(actor=actor_of(cast.bob), **NEW, plan="Theirs")
    nothing_written()


def test_without_number_or_features_it_is_the_plain_create(cast, actor_of):
    new = open_account(actor=actor_of(cast.bob), **NEW)
    assert new.number is None and new.features == set()
    assert enabled(new.subscriber) == set()


def test_an_auditor_cannot_open_an_account(cast, actor_of):
    from csrtool.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        open_account(actor=actor_of(cast.avery), **NEW)
    nothing_written()


def test_numbers_that_fit_the_contact_phone_come_first_digits_narrow(cast, actor_of):
    make_number(cast.acme, "2125550100", number_type="local")
    make_number(cast.acme, "3125550177", number_type="local")
    make_number(cast.acme, "8005550100")
    make_number(cast.acme, "3125550166", number_type="local", status="retired")
    make_number(cast.globex, "3125550155", number_type="local")
    bob = actor_of(cast.bob)

    found = numbers_for(actor=bob, partner=cast.acme, phone="+1 312 555 0142")
    assert [(n.dnis, near) for n, near in found] == [
        ("3125550177", True),
        ("2125550100", False),
        ("8005550100", False),
    ]
    narrowed = numbers_for(
        actor=bob, partner=cast.acme, phone="+13125550142", digits="0100"
    )
    assert [n.dnis for n, _ in narrowed] == ["2125550100", "8005550100"]
    # No contact phone yet: the partner's pool in number order.
    assert [n.dnis for n, _ in numbers_for(actor=bob, partner=cast.acme)] == [
        "2125550100",
        "3125550177",
        "8005550100",
    ]


# The API and the command line call the same service.


def test_the_api_creates_assigns_and_enables_in_one_post(cast, api_client_for):
    make_number(cast.acme, "3125550100", number_type="local")
    api = api_client_for(cast.acme)

    response = api.post(
        "/api/v1/subscribers",
        {
            **NEW,
            "number": "+13125550100",
            "features": ["outbound_campaigns"],
            "enable_dependencies": True,
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "+13125550100"
    assert body["features"] == ["outbound_campaigns", "voice_sites"]
    nina = Subscriber.objects.get(public_id=body["subscriber_id"])
    assert nina.numbers.get().dnis == "3125550100"


def test_the_api_answers_409_and_writes_nothing_when_the_number_is_taken(
    cast, api_client_for
):
    make_number(
        cast.acme,
        "3125550100",
        number_type="local",
        status="assigned",
        subscriber=cast.sam,
    )
    response = api_client_for(cast.acme).post(
        "/api/v1/subscribers",
        {**NEW, "number": "3125550100", "features": ["sms"]},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_assigned"
    nothing_written()


def run(*args):
    out = StringIO()
    call_command("subscribers", *args, stdout=out)
    return out.getvalue()


def test_the_command_line_creates_assigns_and_enables(cast):
    make_number(cast.acme, "3125550100", number_type="local")
    make_plan(cast.alice, "Voice", "voice_sites")
    args = ["add", "--as", "bob@acme.example", "--first-name", "Nina"]
    args += ["--last-name", "New", "--email", "nina@new.example"]
    args += ["--phone", "+13125550142", "--billing-id", "NEW-1"]
    out = run(*args, "--number", "3125550100", "--plan", "Voice", "--feature", "sms")

    assert "Number assigned: " in out
    assert "Features enabled: sms, voice_sites" in out
    assert "waiting for the subscriber to onboard" in out
    nina = Subscriber.objects.get(email="nina@new.example")
    assert enabled(nina) == {"voice_sites", "sms"}

    data = json.loads(
        run(
            *[a.replace("nina@", "nico@") for a in args],
            "--feature",
            "reporting",
            "--json",
        )
    )
    assert data["features"] == ["reporting"] and data["number"] is None


def test_the_command_line_refuses_a_taken_number_writing_nothing(cast):
    make_number(
        cast.acme,
        "3125550100",
        number_type="local",
        status="assigned",
        subscriber=cast.sam,
    )
    args = ["add", "--as", "bob@acme.example", "--first-name", "Nina"]
    args += ["--last-name", "New", "--email", "nina@new.example"]
    args += ["--phone", "+13125550142", "--billing-id", "NEW-1"]
    with pytest.raises(CommandError, match="already assigned"):
        run(*args, "--number", "3125550100")
    nothing_written()
