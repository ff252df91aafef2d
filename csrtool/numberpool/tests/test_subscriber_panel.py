from datetime import timedelta

from django.utils import timezone

from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number


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
