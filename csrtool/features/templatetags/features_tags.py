from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from csrtool.features.catalog import feature_state, grantable_keys, load_catalog
from csrtool.features.models import Feature, Plan, Source, SubscriberFeature
from csrtool.features.readiness import readiness_of, step_url

register = template.Library()

_SOURCE_LABELS = {Source.PLAN: "from the plan", Source.ADDED: "added individually"}


@register.inclusion_tag("features/subscriber_panel.html", takes_context=True)
def features_panel(context, subscriber):
    """The features section of the CSR's subscriber page."""
    state = feature_state(subscriber)
    catalog = load_catalog()
    labels = dict(_SOURCE_LABELS)
    if not state.plan:
        labels[Source.ADDED] = "enabled individually"
    return {
        "subscriber": subscriber,
        "state": state,
        "enabled": [
            {"name": f.name, "source": labels[state.sources[f.key]]}
            for f in catalog.ordered(state.enabled)
        ],
        "removed": [
            f.name
            for f in catalog.ordered(
                k for k, s in state.sources.items() if s == Source.REMOVED
            )
        ],
        "features_url": step_url("features", subscriber),
        "actor": context.get("actor"),
        "can": context.get("can") or (),
        **_in_place(context, subscriber, state, catalog),
    }


def _in_place(context, subscriber, state, catalog) -> dict:
    """The subscriber page's own plan and feature form (changes go through the
    features page's view and come back here)."""
    can = context.get("can") or ()
    if "features.change" not in can or subscriber.status == "closed":
        return {"items": None}
    keys = grantable_keys(subscriber.partner) | state.enabled
    return {
        "items": [
            {
                "key": f.key,
                "name": f.name,
                "description": f.description,
                "checked": f.key in state.enabled,
                "needs": catalog.names(catalog.requires.get(f.key, ())),
            }
            for f in catalog.ordered(keys)
        ],
        "plans": list(
            Plan.objects.for_partner(subscriber.partner).prefetch_related("features")
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def readiness_badge(subscriber):
    """The compact onboarding-progress indicator shown wherever a subscriber shows.

    List pages annotate their subscribers (`annotate_readiness(queryset)`),
    so the badge costs no query there.
    """
    return badge(readiness_of(subscriber))


@register.simple_tag(name="readiness_html")
def readiness_html(readiness):
    """The same indicator, of a readiness already worked out."""
    return badge(readiness)


_DONE = (
    '<span class="step done" title="{}: done"><span aria-hidden="true">\u2713</span>'
    ' {}<span class="visually-hidden"> done,</span></span> '
)
_TO_DO_AT = (
    '<a class="step todo" href="{}" title="{}: missing"><span aria-hidden="true">'
    '\u25cb</span> {}<span class="visually-hidden"> missing,</span></a> '
)
_TO_DO = (
    '<span class="step todo" title="{}: missing"><span aria-hidden="true">\u25cb'
    '</span> {}<span class="visually-hidden"> missing,</span></span> '
)


def badge(readiness) -> str:
    """The indicator's HTML: written here rather than by a template, since a
    list of 50 subscribers shows 50 of them."""
    if readiness.complete:
        return mark_safe(  # noqa: S308 (no value in it)
            '<span class="readiness readiness-complete"><span class="readiness-count">'
            'Ready<span class="visually-hidden"> onboarding steps done</span></span>'
            "</span>"
        )
    steps = []
    for step in readiness.steps:
        if step.done:
            steps.append(format_html(_DONE, step.label, step.short))
        elif step.url:
            steps.append(format_html(_TO_DO_AT, step.url, step.label, step.short))
        else:
            steps.append(format_html(_TO_DO, step.label, step.short))
    return format_html(
        '<span class="readiness"><span class="readiness-count">{}/4<span '
        'class="visually-hidden"> onboarding steps done:</span></span><span '
        'class="readiness-steps">{}</span></span>',
        readiness.done_count,
        mark_safe("".join(steps)),  # noqa: S308 (each made by format_html)
    )


@register.inclusion_tag("features/portal_features.html")
def portal_features(subscriber):
    """The subscriber's enabled features, on their CX Builder account page.

    Features not enabled are simply absent.
    """
    keys = SubscriberFeature.objects.filter(subscriber=subscriber).enabled()
    features = Feature.objects.filter(pk__in=keys.values("feature_id")).in_order()
    return {"subscriber": subscriber, "features": list(features)}
