"""Add Enterprise Account with its number and features, on one page."""

from csrtool.audit.models import AuditEvent
from csrtool.features.tests.conftest import enabled, make_plan
from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.subscribers.models import Subscriber

FORM = {
    "first_name": "Nina",
    "last_name": "New",
    "email": "nina@new.example",
    "phone": "(312) 555-0142",
    "time_zone": "America/Chicago",
    "billing_id": "NEW-1",
}


def test_the_form_offers_fitting_numbers_first_plans_and_features(cast, client_for):
    make_number(cast.acme, "2125550100", number_type="local")
    make_number(cast.acme, "3125550177", number_type="local")
    make_number(cast.globex, "3125550155", number_type="local")
    make_plan(cast.alice, "Voice", "voice_sites", "reporting")
    bob = client_for(cast.bob)

    page = bob.get("/subscribers/new/").content.decode()
    assert "No number yet" in page
    assert 'value="2125550100"' in page and 'value="3125550177"' in page
    assert "3125550155" not in page  # another partner's pool
    assert "Voice: Voice sites (IVR), Reporting" in page
    assert 'name="features" value="outbound_campaigns"' in page

    # Without JavaScript: "Find numbers" reloads the form, nothing is written.
    page = bob.post("/subscribers/new/", {**FORM, "action": "find"}).content.decode()
    assert page.index("3125550177") < page.index("2125550100")
    assert "1 in the contact phone's area first" in page
    assert 'value="Nina"' in page
    page = bob.post(
        "/subscribers/new/", {**FORM, "action": "find", "number_digits": "0100"}
    ).content.decode()
    assert "2125550100" in page and "3125550177" not in page
    assert not Subscriber.objects.filter(email="nina@new.example").exists()


def test_typing_digits_narrows_the_list_in_place(cast, client_for):
    make_number(cast.acme, "2125550100", number_type="local")
    make_number(cast.acme, "3125550177", number_type="local")
    bob = client_for(cast.bob)

    page = bob.get(
        "/subscribers/new/numbers/", {"phone": "+13125550142", "number_digits": "177"}
    ).content.decode()
    assert "3125550177" in page and "2125550100" not in page
    assert "Contact phone's area" in page
    assert client_for(cast.avery).get("/subscribers/new/numbers/").status_code in (
        403,
        404,
    )


def test_one_submit_creates_assigns_and_enables(cast, client_for):
    line = make_number(cast.acme, "3125550177", number_type="local")
    plan = make_plan(cast.alice, "Voice", "voice_sites", "reporting")

    response = client_for(cast.bob).post(
        "/subscribers/new/",
        {**FORM, "number": "3125550177", "plan": plan.pk, "features": ["sms"]},
        follow=True,
    )

    nina = Subscriber.objects.get(email="nina@new.example")
    line.refresh_from_db()
    assert line.status == NumberStatus.ASSIGNED and line.subscriber == nina
    assert enabled(nina) == {"voice_sites", "reporting", "sms"}
    page = response.content.decode()
    assert "Account created for Nina New" in page
    assert "Number assigned: " in page and "+1 312-555-0177" in page
    assert "Plan applied: Voice" in page
    assert "Features enabled: Voice sites (IVR), SMS and Reporting" in page
    assert "Welcome email queued to nina@new.example" in page
    assert "The subscriber's own onboarding" in page
    assert "Assign a phone number" not in page


def test_a_number_taken_meanwhile_is_said_and_nothing_is_written(cast, client_for):
    make_number(
        cast.acme,
        "3125550177",
        number_type="local",
        status=NumberStatus.ASSIGNED,
        subscriber=cast.sam,
    )
    response = client_for(cast.bob).post(
        "/subscribers/new/", {**FORM, "number": "3125550177", "features": ["sms"]}
    )
    page = response.content.decode()
    assert "3125550177 is already assigned to Sam Sample" in page
    assert 'id="number-errors"' in page
    assert not Subscriber.objects.filter(email="nina@new.example").exists()
    assert not AuditEvent.objects.filter(action="subscriber.created").exists()


def test_the_dependency_rule_asks_first_as_on_the_features_page(cast, client_for):
    bob = client_for(cast.bob)
    response = bob.post(
        "/subscribers/new/", {**FORM, "features": ["outbound_campaigns"]}
    )
    page = response.content.decode()
    assert "Outbound campaigns needs Voice sites (IVR)." in page
    assert "Enable Voice sites (IVR) too and create the account" in page
    assert 'value="outbound_campaigns" id="features-outbound_campaigns" checked' in (
        page
    )
    assert not Subscriber.objects.filter(email="nina@new.example").exists()

    bob.post(
        "/subscribers/new/",
        {**FORM, "features": ["outbound_campaigns"], "enable_dependencies": "1"},
    )
    nina = Subscriber.objects.get(email="nina@new.example")
    assert enabled(nina) == {"outbound_campaigns", "voice_sites"}


def test_without_a_number_the_confirmation_says_what_is_left(cast, client_for):
    response = client_for(cast.bob).post("/subscribers/new/", FORM, follow=True)
    page = response.content.decode()
    nina = Subscriber.objects.get(email="nina@new.example")
    assert f"/subscribers/{nina.public_id}/#assign-number" in page
    assert f"/subscribers/{nina.public_id}/#enable-features" in page
