from django import template
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from csrtool.numberpool.models import NumberStatus, PhoneNumber

register = template.Library()


@register.inclusion_tag("numberpool/subscriber_panel.html", takes_context=True)
def numberpool_panel(context, subscriber):
    """The numberpool section of the CSR's subscriber page: its numbers, the ones
    held for it, and those it gave up that are still aging (it can have them back)."""
    now = timezone.now()
    can = context.get("can") or frozenset()
    lines = (
        PhoneNumber.objects.filter(
            Q(subscriber=subscriber, status=NumberStatus.ASSIGNED)
            | Q(subscriber=subscriber, status=NumberStatus.HELD, held_until__gt=now)
            | Q(
                previous_subscriber=subscriber,
                status=NumberStatus.AGING,
                aging_until__gt=now,
            )
        )
        .filter(partner_id=subscriber.partner_id)
        .order_by("status", "number")
    )
    return {
        "subscriber": subscriber,
        "lines": list(lines),
        "actor": context.get("actor"),
        "can": can,
        "can_assign": "numbers.assign" in can,
        "can_view": "pool.view" in can,
        "assign_url": reverse("number-assign")
        + "?"
        + urlencode({"subscriber": subscriber.public_id}),
        "browse_url": reverse("numbers-available")
        + "?"
        + urlencode({"subscriber": subscriber.public_id}),
        # Offered by the subscriber page (the hub) to assign a number in place.
        "number_choices": context.get("number_choices"),
        "number_digits": context.get("number_digits", ""),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("numberpool/portal_numbers.html")
def portal_numbers(subscriber):
    """The subscriber's own phone numbers, on their CX Builder account page."""
    lines = PhoneNumber.objects.filter(
        subscriber=subscriber, status=NumberStatus.ASSIGNED
    ).order_by("number")
    return {"subscriber": subscriber, "lines": list(lines)}
