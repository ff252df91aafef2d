from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from csrtool.numberpool.models import NumberStatus, NumberType, PhoneNumber
from csrtool.validation import format_phone

register = template.Library()

# The states whose subscriber a pool list names (for the others it is history).
_OWNED = frozenset({NumberStatus.ASSIGNED, NumberStatus.HELD})


@register.inclusion_tag("numberpool/numbers_table.html", takes_context=True)
def numbers_table(context, lines, *, caption, show_status=False):
    """A list of pool lines (Phone Line Lookup, Browse, the pool), a row each.

    Each row's values are made here, once: a page lists up to 50 numbers, and
    the template's own lookups (the number's page reversed per row, each
    choice's label looked up through its field) took longer than the query
    that found them.
    """
    actor = context.get("actor")
    subscriber = context.get("subscriber")
    operator = bool(actor and actor.is_operator)
    now = timezone.now()
    # A DNIS is digits only, as its page's route takes it: the URL is
    # reversed once and each row's DNIS put in the placeholder's place.
    head, _, tail = reverse("number-detail", args=["0"]).rpartition("0")
    if subscriber:
        tail += "?" + urlencode({"subscriber": subscriber.public_id})
    types = {value: str(label) for value, label in NumberType.choices}
    states = {value: str(label) for value, label in NumberStatus.choices}
    rows = []
    for line in lines:
        row = {
            "url": head + line.dnis + tail,
            "number": format_phone(line.number),
            "dnis": line.dnis,
            "type": types.get(line.number_type, line.number_type),
            "country_code": line.country_code,
            "area_code": line.area_code,
        }
        if show_status:
            state = line.effective_status(now)
            row["state"] = state
            row["state_label"] = states[state]
            owner = line.subscriber if state in _OWNED else None
            if owner is not None:
                row["owner"] = owner.full_name
                row["owner_url"] = reverse("subscriber-detail", args=[owner.public_id])
        if operator:
            row["partner"] = line.partner.name
        rows.append(row)
    return {
        "rows": rows,
        "caption": caption,
        "show_status": show_status,
        "operator": operator,
    }


@register.inclusion_tag("numberpool/subscriber_panel.html", takes_context=True)
def numberpool_panel(context, subscriber):
    """The numberpool section of the CSR's subscriber page: its numbers, the ones
    held for it, and those it gave up that are still aging (it can have them back)."""
    now = timezone.now()
    can = context.get("can") or frozenset()
    lines = PhoneNumber.objects.owned_by(subscriber, now, kept=True).order_by(
        "status", "number"
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
    lines = PhoneNumber.objects.owned_by(subscriber).order_by("number")
    return {"subscriber": subscriber, "lines": list(lines)}
