import pytest

from csrtool.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from csrtool.features import services
from csrtool.features.models import SubscriberFeature
from csrtool.features.services import DependencyConflict
from csrtool.features.tests.conftest import enabled, events, give
from csrtool.partners.access import staff_actor
from csrtool.subscribers.models import Status
from csrtool.tests.races import race


def test_a_csr_enables_features_and_the_audit_log_has_both_sets(cast, bob):
    change = services.change_features(
        actor=bob, public_id=cast.sam.public_id, features=["voice_sites", "sms"]
    )
    assert enabled(cast.sam) == {"voice_sites", "sms"}
    assert change.added == {"voice_sites", "sms"}
    [event] = events("subscriber.features_changed", cast.sam)
    assert event.before == {"plan": None, "features": []}
    assert event.after == {"plan": None, "features": ["sms", "voice_sites"]}
    assert event.actor_label == "bob@acme.example"


def test_saving_the_same_set_again_changes_nothing_and_logs_nothing(cast, bob):
    give(cast.sam, "sms", by=cast.bob)
    change = services.change_features(
        actor=bob, public_id=cast.sam.public_id, features=["sms"]
    )
    assert not change.changed
    assert len(events("subscriber.features_changed", cast.sam)) == 1


def test_enabling_outbound_campaigns_asks_for_voice_sites(cast, bob):
    with pytest.raises(DependencyConflict) as e:
        services.change_features(
            actor=bob, public_id=cast.sam.public_id, features=["outbound_campaigns"]
        )
    assert e.value.kind == "dependencies"
    assert e.value.features == ["voice_sites"]
    assert "Outbound campaigns needs Voice sites (IVR)" in e.value.message
    assert enabled(cast.sam) == set()


def test_it_enables_the_dependencies_when_asked_to(cast, bob):
    services.change_features(
        actor=bob,
        public_id=cast.sam.public_id,
        features=["outbound_campaigns"],
        enable_dependencies=True,
    )
    assert enabled(cast.sam) == {"outbound_campaigns", "voice_sites"}


def test_disabling_voice_sites_asks_to_disable_what_depends_on_it(cast, bob):
    give(cast.sam, "outbound_campaigns", "call_recording", "sms", by=cast.bob)
    with pytest.raises(DependencyConflict) as e:
        services.change_features(
            actor=bob, public_id=cast.sam.public_id, disable=["voice_sites"]
        )
    assert e.value.kind == "dependents"
    assert e.value.features == ["outbound_campaigns", "call_recording"]
    assert "Outbound campaigns and Call recording need Voice sites" in e.value.message
    assert "voice_sites" in enabled(cast.sam)


def test_it_disables_the_dependents_when_asked_to(cast, bob):
    give(cast.sam, "outbound_campaigns", "sms", by=cast.bob)
    change = services.change_features(
        actor=bob,
        public_id=cast.sam.public_id,
        disable=["voice_sites"],
        disable_dependents=True,
    )
    assert enabled(cast.sam) == {"sms"}
    assert change.removed == {"voice_sites", "outbound_campaigns"}


def test_it_refuses_an_unknown_feature_key(cast, bob):
    with pytest.raises(ValidationFailed) as e:
        services.change_features(
            actor=bob, public_id=cast.sam.public_id, features=["teleportation"]
        )
    assert e.value.errors == {
        "features": ["No catalog feature has the key 'teleportation'."]
    }


def test_an_auditor_cannot_change_features(cast):
    with pytest.raises(PermissionDenied):
        services.change_features(
            actor=staff_actor(cast.avery), public_id=cast.sam.public_id, enable=["sms"]
        )
    assert enabled(cast.sam) == set()


def test_charlie_of_globex_cannot_touch_acmes_subscriber(cast):
    with pytest.raises(NotFound) as e:
        services.change_features(
            actor=staff_actor(cast.charlie),
            public_id=cast.sam.public_id,
            enable=["sms"],
        )
    assert e.value.message == (
        f"No subscriber has the Subscriber ID {cast.sam.public_id!r}."
    )
    assert enabled(cast.sam) == set()


def test_a_closed_account_keeps_its_features(cast, bob):
    give(cast.sam, "sms", by=cast.bob)
    cast.sam.status = Status.CLOSED
    cast.sam.save()
    with pytest.raises(Conflict, match="closed"):
        services.change_features(
            actor=bob, public_id=cast.sam.public_id, enable=["web_chat"]
        )


@pytest.mark.django_db(transaction=True)
def test_two_csrs_enabling_at_once_leave_one_row_per_feature(cast):
    # Each racer stops after reading the subscriber's features until the other
    # has read them too; only the lock on the subscriber's row, taken first,
    # keeps them from both adding "sms".
    def enable(user, keys):
        return lambda: (
            services.change_features(
                actor=staff_actor(user), public_id=cast.sam.public_id, enable=keys
            ).after
        )

    outcomes = race(
        enable(cast.bob, ["sms", "web_chat"]),
        enable(cast.alice, ["sms", "reporting"]),
        pause_after="csrtool.features.services.subscriber_features.feature_state",
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert enabled(cast.sam) == {"sms", "web_chat", "reporting"}
    assert SubscriberFeature.objects.filter(subscriber=cast.sam).count() == 3
    assert len(events("subscriber.features_changed", cast.sam)) == 2
