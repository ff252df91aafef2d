from datetime import timedelta

from django.db import connection
from django.utils import timezone

from csrtool.conftest import make_subscriber
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.numberpool.tests.test_pool_queries import (
    ORDER_INDEXES,
    STATE_INDEX,
    fill,
    plan,
    statements,
)


def test_the_subscriber_page_lists_its_numbers_with_actions(cast, client_for):
    now = timezone.now()
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(
        cast.acme,
        "8005551235",
        status=NumberStatus.AGING,
        aging_until=now + timedelta(days=3),
        previous_subscriber=cast.sam,
    )
    make_number(cast.acme, "8005551236")

    text = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/").text

    assert 'href="/numbers/8005551234/"' in text
    assert 'aria-label="Unassign 8005551234"' in text
    assert 'aria-label="Assign 8005551235 back"' in text
    # Not one of its numbers; offered among the numbers to assign in place.
    own = text[text.index('id="numbers-heading"') : text.index('id="assign-number"')]
    assert "8005551236" not in own
    assert 'name="number" value="8005551236"' in text
    assert f'href="/numbers/assign/?subscriber={cast.sam.public_id}"' in text


def test_the_portal_tag_lists_only_the_subscribers_assigned_numbers(cast):
    from csrtool.numberpool.templatetags.numberpool_tags import portal_numbers

    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(
        cast.globex, "8005551235", status=NumberStatus.ASSIGNED, subscriber=cast.gus
    )

    lines = portal_numbers(cast.sam)["lines"]

    assert [line.dnis for line in lines] == ["8005551234"]


def test_the_subscriber_page_lists_what_is_its_own_now(cast, client_for):
    now = timezone.now()
    owned = {"status": NumberStatus.ASSIGNED, "subscriber": cast.sam}
    make_number(cast.acme, "8005551201", **owned)
    # Held for Sam and aging from Sam: Sam's until then, not after.
    for dnis, hours in (("8005551202", 2), ("8005551204", -1)):
        until = now + timedelta(hours=hours)
        make_number(
            cast.acme, dnis, status="held", subscriber=cast.sam, held_until=until
        )
    for dnis, hours in (("8005551203", 2), ("8005551205", -1)):
        until = now + timedelta(hours=hours)
        make_number(
            cast.acme,
            dnis,
            status="aging",
            aging_until=until,
            previous_subscriber=cast.sam,
        )
    sue = make_subscriber(cast.acme, email="sue@customer.example")
    make_number(cast.acme, "8005551206", status="assigned", subscriber=sue)
    # A row of another partner that names Sam is never shown on Acme's page.
    make_number(cast.globex, "8005551207", **owned)

    text = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/").text

    own = text[text.index('id="numbers-heading"') : text.index('id="assign-number"')]
    shown = {dnis for dnis in ("8005551201", "8005551202", "8005551203") if dnis in own}
    assert shown == {"8005551201", "8005551202", "8005551203"}
    for dnis in ("8005551204", "8005551205", "8005551206", "8005551207"):
        assert f'href="/numbers/{dnis}/"' not in own


def test_a_subscribers_numbers_are_found_through_their_owner_indexes(cast):
    """Not through an index of the partner's pool: a partner's assigned
    numbers may be a fifth of a million rows."""
    fill(cast.acme, 300)
    make_number(cast.acme, "8005551201", status="assigned", subscriber=cast.sam)
    queryset = PhoneNumber.objects.owned_by(cast.sam, kept=True)

    with statements() as seen:
        list(queryset.order_by("status", "number"))
    (text,) = [plan(*statement, ("enable_seqscan",)) for statement in seen]

    assert "subscriber_id" in text, text
    pool_indexes = (*ORDER_INDEXES, STATE_INDEX, "expiry", "phonenumber_partner_id")
    assert not [index for index in pool_indexes if index in text], text
    if connection.vendor == "sqlite":
        assert "SCAN numberpool_phonenumber" not in text, text
