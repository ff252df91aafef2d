"""The audit log at a real partner's size: millions of events, a few of the
kind an audit looks for. Each filter reads through an index that holds what it
asks for, and what it shows is what a plain reading of the trail would show."""

import pytest
from django.db import connection

from csrtool.audit.listing import actions_in_trail, newest_events
from csrtool.audit.models import AuditEvent
from csrtool.audit.services import record
from csrtool.numberpool.tests.test_pool_queries import plan, statements

SWITCHES = ("enable_seqscan",)


@pytest.fixture
def trail(cast, actor_of):
    """Acme's trail: many routine events, a few rare ones, and Globex's own."""
    bob = actor_of(cast.bob)
    for n in range(30):
        record(
            actor=bob,
            action="report.viewed",
            target_type="subscriber",
            target_id=f"routine-{n % 7}",
            partner=cast.acme,
        )
        if n % 10 == 0:
            record(
                actor=bob,
                action="staff.invited",
                target_type="user",
                target_id=f"new-{n}",
                partner=cast.acme,
            )
        if n % 4 == 0:
            record(actor=bob, action="staff.updated", target=cast.bob)
    record(
        actor=actor_of(cast.gina),
        action="api_key.created",
        target_type="key",
        target_id="gx",
        partner=cast.globex,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditevent")


def _plans(block) -> tuple:
    with statements() as seen:
        result = block()
    return result, [plan(*statement, SWITCHES) for statement in seen]


def _read_by_action(text: str) -> bool:
    """Through an index of actions: the partner's (always on SQLite), or on
    PostgreSQL, where statistics weigh them, every partner's when it is the
    cheaper."""
    if connection.vendor == "sqlite":
        return "audit_partner_action" in text
    return "audit_partner_action" in text or "audit_action" in text


def _every_page(actor, params, size):
    """Every event the filters give, page after page."""
    seen, cursor = [], None
    while True:
        page = newest_events(actor, params, cursor, size)
        seen.extend(event.pk for event in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def _read_plainly(partner, test):
    """The answer of walking the partner's whole trail newest first."""
    events = AuditEvent.objects.filter(partner=partner).order_by("-created_at", "-id")
    return [event.pk for event in events if test(event)]


def test_the_action_choices_are_the_partners_own_found_one_seek_each(
    cast, actor_of, trail
):
    avery = actor_of(cast.avery)
    actions, plans = _plans(lambda: actions_in_trail(avery))

    assert actions == sorted(
        set(
            AuditEvent.objects.filter(partner=cast.acme).values_list(
                "action", flat=True
            )
        )
    )
    assert "api_key.created" not in actions  # Globex's
    (text,) = plans
    assert "audit_partner_action" in text, text
    assert "audit_partner_time" not in text, text
    # Each next action is sought past the last one, not read off every event
    # (PostgreSQL's plan shows the recursion but not the seek inside it).
    seek = "action>?" if connection.vendor == "sqlite" else "Recursive Union"
    assert seek in text, text


def test_the_operator_chooses_among_every_partners_actions(cast, actor_of, trail):
    actions = actions_in_trail(actor_of(cast.olivia))
    assert "api_key.created" in actions and "staff.invited" in actions


def test_a_rare_action_is_read_from_the_index_of_actions(cast, actor_of, trail):
    avery = actor_of(cast.avery)
    page, plans = _plans(
        lambda: newest_events(avery, {"action": "staff.invited"}, None, 100)
    )

    assert [event.pk for event in page.items] == _read_plainly(
        cast.acme, lambda event: event.action == "staff.invited"
    )
    listing = plans[-1]
    assert _read_by_action(listing), listing
    assert "audit_partner_time" not in listing, listing


def test_actions_by_their_start_are_merged_in_date_order_page_after_page(
    cast, actor_of, trail
):
    avery = actor_of(cast.avery)
    expected = _read_plainly(cast.acme, lambda event: event.action.startswith("staff."))
    assert len(expected) > 5

    assert _every_page(avery, {"action": "staff."}, 2) == expected
    assert _every_page(avery, {"action": "staff.", "actor": "bob"}, 3) == expected
    _, plans = _plans(lambda: newest_events(avery, {"action": "staff."}, None, 2))
    merged = "\n".join(plans)
    assert _read_by_action(merged), merged
    assert "audit_partner_time" not in merged, merged


def test_a_target_is_read_from_the_index_of_targets(cast, actor_of, trail):
    avery = actor_of(cast.avery)
    for params in ({"target": "routine-3"}, {"target": "ROUTINE-3", "action": "rep"}):
        page, plans = _plans(
            lambda params=params: newest_events(avery, params, None, 2)
        )
        assert _every_page(avery, params, 2) == _read_plainly(
            cast.acme, lambda event: event.target_id == "routine-3"
        )
        listing = plans[-1]
        assert "audit_target" in listing, listing
        assert "audit_partner_time" not in listing, listing


def test_a_later_page_starts_at_its_cursor_in_the_index(cast, actor_of, trail):
    """Not by walking every newer event to it: page 10,000 costs what page 1 does."""
    avery = actor_of(cast.avery)
    first = newest_events(avery, {}, None, 5)
    _, (text,) = _plans(lambda: newest_events(avery, {}, first.next_cursor, 5))
    if connection.vendor == "sqlite":
        assert "audit_partner_time (partner_id=? AND created_at<?)" in text, text
    else:
        assert "Index Cond: ((partner_id = " in text and "created_at <=" in text, text
