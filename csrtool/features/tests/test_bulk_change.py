import pytest

from csrtool.conftest import make_subscriber
from csrtool.errors import ValidationFailed
from csrtool.features import services
from csrtool.features.tests.conftest import enabled, events, give, make_plan
from csrtool.partners.access import staff_actor


@pytest.fixture
def ann(cast):
    return make_subscriber(cast.acme, email="ann@customer.example", first_name="Ann")


def test_the_preview_shows_what_changes_for_whom_and_changes_nothing(cast, ann):
    give(ann, "sms", by=cast.bob)
    rows = services.preview_bulk_change(
        actor=staff_actor(cast.bob),
        public_ids=[cast.sam.public_id, ann.public_id],
        enable=["outbound_campaigns"],
    )
    assert [(r.subscriber, r.change.added) for r in rows] == [
        (cast.sam, {"outbound_campaigns", "voice_sites"}),
        (ann, {"outbound_campaigns", "voice_sites"}),
    ]
    assert enabled(cast.sam) == set()
    assert enabled(ann) == {"sms"}
    # Only the setup above wrote an audit row.
    assert len(events("subscriber.features_changed")) == 1


def test_applying_changes_every_subscriber_and_audits_each(cast, ann):
    rows = services.apply_bulk_change(
        actor=staff_actor(cast.bob),
        public_ids=[cast.sam.public_id, ann.public_id],
        enable=["sms"],
        reason="Spring promotion",
    )
    assert all(not r.error for r in rows)
    assert enabled(cast.sam) == enabled(ann) == {"sms"}
    assert len(events("subscriber.features_changed", cast.sam)) == 1
    [event] = events("subscriber.features_changed", ann)
    assert event.reason == "Spring promotion"


def test_a_plan_applies_to_many_subscribers(cast, ann):
    plan = make_plan(cast.alice, "Voice", "voice_sites", "reporting")
    services.apply_bulk_change(
        actor=staff_actor(cast.bob),
        public_ids=[cast.sam.public_id, ann.public_id],
        plan_id=plan.pk,
    )
    assert enabled(cast.sam) == enabled(ann) == {"voice_sites", "reporting"}
    assert len(events("subscriber.plan_applied")) == 2


def test_disabling_in_bulk_takes_the_dependents_along(cast, ann):
    give(cast.sam, "outbound_campaigns", by=cast.bob)
    rows = services.apply_bulk_change(
        actor=staff_actor(cast.bob),
        public_ids=[cast.sam.public_id],
        disable=["voice_sites"],
    )
    assert rows[0].change.removed == {"voice_sites", "outbound_campaigns"}
    assert enabled(cast.sam) == set()


def test_another_partners_subscriber_is_reported_as_unknown_and_left_alone(cast, ann):
    rows = services.apply_bulk_change(
        actor=staff_actor(cast.bob),
        public_ids=[cast.sam.public_id, cast.gus.public_id],
        enable=["sms"],
    )
    assert rows[1].subscriber is None
    assert rows[1].error == (
        f"No subscriber has the Subscriber ID {cast.gus.public_id!r}."
    )
    assert enabled(cast.gus) == set()
    assert enabled(cast.sam) == {"sms"}


def test_it_asks_for_either_a_plan_or_features(cast):
    with pytest.raises(ValidationFailed):
        services.preview_bulk_change(
            actor=staff_actor(cast.bob), public_ids=[cast.sam.public_id]
        )
    with pytest.raises(ValidationFailed):
        services.preview_bulk_change(
            actor=staff_actor(cast.bob), public_ids=[], enable=["sms"]
        )
