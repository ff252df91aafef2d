"""The subscriber page is the CSR's hub: its steps act in place."""

from csrtool.features.tests.conftest import enabled
from csrtool.numberpool.tests.make import make_number
from csrtool.portal.tests.conftest import SAM_ANSWER, SAM_PIN, SAM_QUESTION, activate


def test_it_offers_fitting_numbers_and_assigns_one_in_place(cast, client_for):
    make_number(cast.acme, "8005550100")
    make_number(cast.acme, "2125550177", number_type="local")  # sam's area
    bob = client_for(cast.bob)
    detail = f"/subscribers/{cast.sam.public_id}/"

    page = bob.get(detail).content.decode()
    assert page.index('value="2125550177"') < page.index('value="8005550100"')
    assert 'href="#assign-number"' in page
    page = bob.get(detail, {"number_digits": "0100"}).content.decode()
    assert 'value="8005550100"' in page and 'value="2125550177"' not in page

    response = bob.post(
        "/numbers/assign/",
        {
            "number": "2125550177",
            "subscriber_id": cast.sam.public_id,
            "return_to": "subscriber",
            "action": "assign",
        },
    )
    assert response.url == f"{detail}#numbers"
    assert cast.sam.numbers.get().dnis == "2125550177"
    page = bob.get(detail).content.decode()
    assert "2125550177 is now assigned to Sam Sample" in page
    assert "A phone number is assigned" in page


def test_it_enables_features_in_place_asking_about_dependencies_first(cast, client_for):
    bob = client_for(cast.bob)
    detail = f"/subscribers/{cast.sam.public_id}/"
    page = bob.get(detail).content.decode()
    assert 'id="enable-features"' in page
    assert 'name="return_to" value="subscriber"' in page

    form = {
        "subscriber": cast.sam.public_id,
        "return_to": "subscriber",
        "features": ["outbound_campaigns"],
    }
    page = bob.post("/features/", form).content.decode()
    assert "Enable Voice sites (IVR) too and save" in page
    assert 'name="return_to" value="subscriber"' in page
    assert enabled(cast.sam) == set()

    response = bob.post("/features/", {**form, "enable_dependencies": "1"})
    assert response.url == f"{detail}#features"
    assert enabled(cast.sam) == {"outbound_campaigns", "voice_sites"}


def test_the_welcome_email_can_be_resent_from_the_hub(cast, client_for):
    page = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/")
    page = page.content.decode()
    assert "Resend welcome email" in page
    assert 'href="#onboarding-emails-heading"' in page


def test_the_caller_box_shows_the_security_question_never_a_secret(cast, client_for):
    credentials = activate(cast.sam)
    page = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/")
    page = page.content.decode()
    box = page[page.index('id="caller-heading"') :]
    assert f"Security question to ask: <strong>{SAM_QUESTION}" in box.replace(
        "&#x27;", "'"
    )
    for secret in (
        SAM_ANSWER,
        SAM_PIN,
        credentials.security_answer_hash,
        credentials.pin_hash,
    ):
        assert secret not in page


def test_an_auditor_sees_the_hub_without_its_forms(cast, client_for):
    make_number(cast.acme, "8005550100")
    page = client_for(cast.avery).get(f"/subscribers/{cast.sam.public_id}/")
    page = page.content.decode()
    assert 'id="assign-number"' not in page
    assert 'id="enable-features"' not in page
