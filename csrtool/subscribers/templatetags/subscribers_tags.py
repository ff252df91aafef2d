from django import template
from django.urls import reverse

from csrtool.features.readiness import readiness_of
from csrtool.features.templatetags.features_tags import badge
from csrtool.subscribers.models import Status
from csrtool.templatetags.console import breakable, moment

register = template.Library()


@register.inclusion_tag("subscribers/table.html", takes_context=True)
def subscribers_table(context, subscribers, *, selectable=False):
    """A list of subscribers (Subscriber Lookup, the dashboard), a row each.

    Each row's values are made here, once: the template's own lookups for 50
    rows (the onboarding badge's above all) took nine tenths of the lookup
    page's time.
    """
    actor = context.get("actor")
    operator = bool(actor and actor.is_operator)
    states = {value: str(label) for value, label in Status.choices}
    rows = []
    for subscriber in subscribers:
        row = {
            "public_id": subscriber.public_id,
            "name": subscriber.full_name,
            "url": reverse("subscriber-detail", args=[subscriber.public_id]),
            "email": breakable(subscriber.email),
            "status": subscriber.status,
            "status_label": states.get(subscriber.status, subscriber.status),
            "readiness": badge(readiness_of(subscriber)),
            "created": moment(subscriber.created_at),
        }
        if operator:
            row["partner"] = subscriber.partner.name
        rows.append(row)
    return {"rows": rows, "selectable": selectable, "operator": operator}
