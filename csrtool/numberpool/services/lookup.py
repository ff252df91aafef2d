"""Finding a number of the actor's pool, and naming numbers and owners in messages."""

from datetime import datetime

from django.db.models import Q

from csrtool import timezones
from csrtool.errors import DomainError, NotFound
from csrtool.numberpool.lines import number_keys, region_for
from csrtool.numberpool.models import PhoneNumber
from csrtool.partners.access import Actor
from csrtool.prepared import Prepared
from csrtool.subscribers.models import Subscriber


def when_label(value: datetime) -> str:
    """A moment in a message, in the viewer's zone (UTC for the API)."""
    return timezones.viewer_datetime(value)


def owner_label(subscriber: Subscriber) -> str:
    return f"{subscriber.full_name} (Subscriber ID {subscriber.public_id})"


def _named_in_scope(queryset, operator, by_dnis, by_number, values):
    """The queryset's rows of the actor's pool (its partner first among the
    values, unless an operator's) with the DNIS or the number that follow."""
    values = list(values)
    if not operator:
        queryset = queryset.filter(partner_id=values.pop(0))
    dnis = values.pop(0) if by_dnis else ""
    number = values.pop(0) if by_number else ""
    return queryset.filter(_named(dnis, number))


def _number_named(shape, *values):
    """The actor's numbers with this DNIS or this number, each with its partner,
    owner and previous owner: `find_number`'s query, compiled once per shape."""
    operator, by_dnis, by_number, for_update = shape
    queryset = PhoneNumber.objects.select_related(
        "partner", "subscriber", "previous_subscriber"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return _named_in_scope(queryset, operator, by_dnis, by_number, values)


_NUMBER_NAMED = Prepared(_number_named)


def find_number(*, actor: Actor, value: str, for_update=False) -> PhoneNumber:
    """A number of the actor's pool by DNIS or by the number in any common format.

    A number of another partner's pool answers exactly like an unknown one.
    """
    _may_look(actor)
    raw, digits, e164 = _typed(actor, value)
    shape = (actor.is_operator, bool(digits), bool(e164), for_update)
    scope = [] if actor.is_operator else [actor.partner.pk]
    found = _NUMBER_NAMED.rows(shape, *scope, *filter(None, (digits, e164)))
    # A DNIS match wins over a number match should the two ever name two rows.
    found.sort(key=lambda n: n.dnis != digits)
    if not found:
        raise NotFound(f"No number {raw} is in the pool.", field="number")
    return found[0]


def _dnis_named(shape, *values):
    """`named_dnis`'s query: `_number_named`'s rows, their DNIS alone."""
    operator, by_dnis, by_number = shape
    queryset = PhoneNumber.objects.only("dnis")
    return _named_in_scope(queryset, operator, by_dnis, by_number, values)


_DNIS_NAMED = Prepared(_dnis_named)


def named_dnis(*, actor: Actor, value: str) -> str | None:
    """The DNIS of the number `find_number` would find, or None where it would
    raise: for a page that only goes on to that number, one query of the DNIS
    alone instead of the number with its partner and owners. A missing
    permission still raises."""
    _may_look(actor)
    try:
        _, digits, e164 = _typed(actor, value)
    except DomainError:
        return None
    shape = (actor.is_operator, bool(digits), bool(e164))
    scope = [] if actor.is_operator else [actor.partner.pk]
    found = _DNIS_NAMED.rows(shape, *scope, *filter(None, (digits, e164)))
    found = sorted((line.dnis for line in found), key=lambda d: d != digits)
    return found[0] if found else None


def _may_look(actor: Actor) -> None:
    if not (actor.can("pool.view") or actor.can("numbers.assign")):
        actor.require("pool.view")


def _typed(actor: Actor, value: str) -> tuple[str, str, str]:
    """What was typed (trimmed), its digits and the number it names (E.164),
    either of the last two possibly empty, or a DomainError."""
    raw = str(value or "").strip()[:40]
    if not raw:
        raise DomainError("Enter a phone number or DNIS.", field="number")
    digits, e164 = number_keys(raw, region_for(actor.partner))
    if not digits and not e164:
        raise DomainError(
            f"{raw!r} is not a phone number or DNIS.", field="number", code="invalid"
        )
    return raw, digits, e164


def _named(dnis: str, number: str) -> Q:
    """The pool's rows with this DNIS or this number (E.164), either possibly
    empty but not both."""
    condition = Q(dnis=dnis) if dnis else Q()
    if number:
        condition = condition | Q(number=number) if dnis else Q(number=number)
    return condition
