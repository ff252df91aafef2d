"""Nothing forgets the subscriber: pages reached from a subscriber carry it
along, link back to it and to its next missing step, and a Subscriber ID field
also takes the login email, saying which account it is before acting."""

import re

from csrtool.features.tests.conftest import enabled, give
from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number


def sam_link(cast):
    return f'href="/subscribers/{cast.sam.public_id}/"'


def test_browse_and_a_numbers_page_carry_the_subscriber_to_the_assignment(
    cast, client_for
):
    line = make_number(cast.acme, "8005550100")
    bob = client_for(cast.bob)
    carry = f"?subscriber={cast.sam.public_id}"

    page = bob.get(f"/numbers/available/{carry}").content.decode()
    assert sam_link(cast) in page
    assert f"/numbers/8005550100/{carry}" in page
    hub = f"/subscribers/{cast.sam.public_id}/"
    assert f'Next step: <a href="{hub}#assign-number"' in page

    page = bob.get(f"/numbers/8005550100/{carry}").content.decode()
    assert "Assign to Sam Sample" in page
    assert f'name="subscriber_id" value="{cast.sam.public_id}"' in page

    response = bob.post(
        "/numbers/assign/",
        {"number": "8005550100", "subscriber_id": cast.sam.public_id},
        follow=True,
    )
    line.refresh_from_db()
    assert line.subscriber == cast.sam
    page = response.content.decode()
    assert sam_link(cast) in page
    assert f'Next step: <a href="{hub}#enable-features"' in page


def test_the_assign_page_and_line_lookup_are_prefilled_from_the_subscriber(
    cast, client_for
):
    make_number(cast.acme, "8005550100")
    bob = client_for(cast.bob)
    carry = f"?subscriber={cast.sam.public_id}"
    page = bob.get(f"/numbers/assign/{carry}").content.decode()
    assert f'value="{cast.sam.public_id}"' in page
    assert sam_link(cast) in page
    assert f"/numbers/available/{carry}" in page

    response = bob.get(f"/numbers/lookup/?q=8005550100&subscriber={cast.sam.public_id}")
    assert response.url == f"/numbers/8005550100/{carry}"


def test_a_login_email_is_resolved_and_shown_before_anything_is_done(cast, client_for):
    line = make_number(cast.acme, "8005550100")
    bob = client_for(cast.bob)

    page = bob.post(
        "/numbers/assign/",
        {
            "number": "8005550100",
            "subscriber_id": "SAM@customer.example",
            "action": "assign",
        },
    ).content.decode()
    line.refresh_from_db()
    assert line.status == NumberStatus.AVAILABLE
    assert "is the login of <strong>Sam Sample</strong>" in page
    assert f'value="{cast.sam.public_id}"' in page
    assert "Nothing was done yet" in page

    bob.post(
        "/numbers/assign/",
        {"number": "8005550100", "subscriber_id": cast.sam.public_id},
    )
    line.refresh_from_db()
    assert line.subscriber == cast.sam


def test_another_partners_login_email_answers_like_an_unknown_one(cast, client_for):
    make_number(cast.acme, "8005550100")
    bob = client_for(cast.bob)

    def answer(email):
        page = bob.post(
            "/numbers/assign/", {"number": "8005550100", "subscriber_id": email}
        ).content.decode()
        page = re.sub(r'csrfmiddlewaretoken" value="[^"]*"', "", page)
        return page.replace(email, "EMAIL")

    assert "No subscriber has the login email" in answer("gus@other.example")
    assert answer("gus@other.example") == answer("nobody@other.example")


def test_the_features_page_takes_a_login_email_and_points_onward(cast, client_for):
    make_number(cast.acme, "8005550100", status="assigned", subscriber=cast.sam)
    bob = client_for(cast.bob)
    page = bob.get("/features/?subscriber=sam@customer.example").content.decode()
    assert "is the login of <strong>Sam Sample</strong>" in page
    assert f'name="subscriber" value="{cast.sam.public_id}"' in page
    assert "Subscriber ID or login email" in bob.get("/features/").content.decode()

    response = bob.post(
        "/features/",
        {"subscriber": cast.sam.public_id, "features": ["sms"]},
        follow=True,
    )
    page = response.content.decode()
    assert enabled(cast.sam) == {"sms"}
    assert sam_link(cast) in page
    assert "Waiting for the subscriber&#x27;s own onboarding" in page or (
        "Waiting for the subscriber's own onboarding" in page
    )
    give(cast.sam, "reporting", by=cast.bob)
