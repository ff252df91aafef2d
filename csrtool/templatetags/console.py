import functools

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from csrtool import timezones
from csrtool.validation import format_phone

register = template.Library()


@register.simple_tag
def widget(field, **attrs):
    """Render a field's control tied to its help text and errors for screen readers."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def zones_datalist(choices):
    """The datalist of every time zone and its offset (`timezones.zone_choices`),
    made once for each list of them."""
    return _zones_datalist(tuple(choices))


@functools.lru_cache(maxsize=2)
def _zones_datalist(choices: tuple) -> str:
    options = format_html_join("", '<option value="{}">{}</option>', choices)
    return format_html('<datalist id="time-zones">{}</datalist>', options)


@register.filter
def breakable(value):
    """An email address that a narrow column may wrap after its @ and before its
    dots, never inside a word (with `.breakable` in the stylesheet)."""
    text = str(escape(value or ""))
    text = text.replace("@", "@<wbr>").replace(".", "<wbr>.")
    return mark_safe(f'<span class="breakable">{text}</span>')  # noqa: S308


@register.filter
def phone(value):
    return format_phone(value)


@register.filter
def moment(value):
    """A moment as every staff page shows it: in the viewer's time zone (the
    middleware activates it), that zone's date format, a 24-hour time and the zone
    named; the exact moment in UTC rides along in the element's datetime."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezones.rfc3339(value),
        timezones.viewer_datetime(value),
    )


@register.filter
def day(value):
    """A moment's calendar day in the viewer's time zone and its date format."""
    if not value:
        return ""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezones.rfc3339(value),
        timezones.viewer_date(value),
    )


@register.filter
def in_zone(value, zone):
    """A moment in a subscriber's zone and date format."""
    if not value:
        return ""
    return timezones.format_local_datetime(value, zone)


@register.filter
def date_in_zone(value, zone):
    if not value:
        return ""
    return timezones.format_local_date(value, zone)


@register.simple_tag
def sample_date(zone):
    return timezones.format_local_date(timezone.now(), zone)


@register.filter
def pretty_json(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if value == "":
        return "(empty)"
    return str(value)


@register.simple_tag
def step_url(url_name, subscriber):
    """The page for an onboarding step, with the subscriber filled in, if it exists."""
    from django.urls import NoReverseMatch, reverse
    from django.utils.http import urlencode

    try:
        return f"{reverse(url_name)}?{urlencode({'subscriber': subscriber.public_id})}"
    except NoReverseMatch:
        return ""


@register.simple_tag
def optional_url(url_name):
    """The URL of a named page, or "" when no such page exists (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


@register.inclusion_tag("subscribers/trail.html", takes_context=True)
def subscriber_trail(context, subscriber):
    """Whom the page is working for: a link back to the subscriber and to its
    next missing onboarding step, so no page forgets the subscriber."""
    from csrtool.features.readiness import readiness_of

    readiness = readiness_of(subscriber) if subscriber is not None else None
    steps = readiness.missing if readiness else []
    return {
        "subscriber": subscriber,
        "readiness": readiness,
        "next_step": next((s for s in steps if s.key != "onboarded"), None),
        "waiting_onboarding": any(s.key == "onboarded" for s in steps),
    }
