import pytest

from csrtool.errors import NotFound, PermissionDenied, ValidationFailed
from csrtool.features import services
from csrtool.features.models import Plan, SubscriberPlan
from csrtool.features.tests.conftest import enabled, events, give, make_plan, sources
from csrtool.partners.access import staff_actor


def test_a_partner_admin_defines_a_plan(cast):
    plan = make_plan(cast.alice, "Contact center", "voice_sites", "reporting")
    assert set(plan.features.values_list("key", flat=True)) == {
        "voice_sites",
        "reporting",
    }
    [event] = events("plan.created")
    assert event.after["features"] == ["reporting", "voice_sites"]
    assert event.partner == cast.acme


def test_a_csr_cannot_define_plans(cast):
    with pytest.raises(PermissionDenied):
        make_plan(cast.bob, "Mine", "sms")


def test_plan_names_are_unique_per_partner(cast):
    make_plan(cast.alice, "Basic", "sms")
    with pytest.raises(ValidationFailed) as e:
        make_plan(cast.alice, "Basic", "web_chat")
    assert e.value.errors == {"name": ["Another plan already has this name."]}
    make_plan(cast.gina, "Basic", "sms")


def test_a_plan_must_include_what_its_features_need(cast):
    with pytest.raises(ValidationFailed) as e:
        make_plan(cast.alice, "Outbound", "outbound_campaigns")
    assert e.value.errors["features"] == [
        "Outbound campaigns needs Voice sites (IVR): include it in the plan."
    ]


def test_applying_a_plan_enables_exactly_its_features(cast):
    give(cast.sam, "web_chat", by=cast.bob)
    plan = make_plan(cast.alice, "Voice", "voice_sites", "tts_settings")
    change = services.apply_plan(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, plan_id=plan.pk
    )
    assert enabled(cast.sam) == {"voice_sites", "tts_settings"}
    assert sources(cast.sam) == {"voice_sites": "plan", "tts_settings": "plan"}
    assert change.removed == {"web_chat"}
    [event] = events("subscriber.plan_applied", cast.sam)
    assert event.before == {"plan": None, "features": ["web_chat"]}
    assert event.after == {"plan": "Voice", "features": ["tts_settings", "voice_sites"]}


def test_additions_and_removals_on_top_of_a_plan_show_where_each_came_from(cast):
    plan = make_plan(cast.alice, "Voice", "voice_sites", "tts_settings")
    bob = staff_actor(cast.bob)
    services.apply_plan(actor=bob, public_id=cast.sam.public_id, plan_id=plan.pk)
    services.change_features(
        actor=bob,
        public_id=cast.sam.public_id,
        features=["voice_sites", "sms"],
    )
    assert sources(cast.sam) == {
        "voice_sites": "plan",
        "tts_settings": "removed",
        "sms": "added",
    }
    assert enabled(cast.sam) == {"voice_sites", "sms"}
    services.apply_plan(actor=bob, public_id=cast.sam.public_id, plan_id=plan.pk)
    assert sources(cast.sam) == {"voice_sites": "plan", "tts_settings": "plan"}


def test_leaving_a_plan_keeps_the_features_as_individual_ones(cast):
    plan = make_plan(cast.alice, "Voice", "voice_sites", "tts_settings")
    bob = staff_actor(cast.bob)
    services.apply_plan(actor=bob, public_id=cast.sam.public_id, plan_id=plan.pk)
    services.apply_plan(actor=bob, public_id=cast.sam.public_id, plan_id=None)
    assert sources(cast.sam) == {"voice_sites": "added", "tts_settings": "added"}
    assert not SubscriberPlan.objects.exists()


def test_a_plan_of_another_partner_looks_unknown(cast):
    plan = make_plan(cast.gina, "Globex gold", "sms")
    with pytest.raises(NotFound):
        services.apply_plan(
            actor=staff_actor(cast.bob), public_id=cast.sam.public_id, plan_id=plan.pk
        )
    with pytest.raises(NotFound):
        services.get_plan(actor=staff_actor(cast.alice), plan_id=plan.pk)


def test_a_plan_with_a_feature_no_longer_grantable_is_refused(cast):
    from csrtool.features.tests.conftest import narrow

    plan = make_plan(cast.alice, "Chat", "web_chat")
    narrow(cast.acme, "sms")
    with pytest.raises(ValidationFailed, match="may not grant Web chat"):
        services.apply_plan(
            actor=staff_actor(cast.bob), public_id=cast.sam.public_id, plan_id=plan.pk
        )


def test_changing_a_plan_leaves_subscribers_on_it_alone(cast):
    plan = make_plan(cast.alice, "Voice", "voice_sites")
    services.apply_plan(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, plan_id=plan.pk
    )
    services.update_plan(
        actor=staff_actor(cast.alice),
        plan_id=plan.pk,
        name="Voice plus",
        features=["voice_sites", "sms"],
    )
    assert enabled(cast.sam) == {"voice_sites"}
    [event] = events("plan.updated")
    assert event.before["name"] == "Voice"
    assert event.after["features"] == ["sms", "voice_sites"]


def test_deleting_a_plan_keeps_its_subscribers_features(cast):
    plan = make_plan(cast.alice, "Voice", "voice_sites", "tts_settings")
    bob = staff_actor(cast.bob)
    services.apply_plan(actor=bob, public_id=cast.sam.public_id, plan_id=plan.pk)
    services.change_features(
        actor=bob, public_id=cast.sam.public_id, disable=["tts_settings"]
    )
    services.delete_plan(actor=staff_actor(cast.alice), plan_id=plan.pk)
    assert not Plan.objects.exists()
    assert sources(cast.sam) == {"voice_sites": "added"}
    [event] = events("plan.deleted")
    assert event.before["subscribers_on_plan"] == 1
