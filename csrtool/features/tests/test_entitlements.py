import pytest

from csrtool.errors import PermissionDenied, ValidationFailed
from csrtool.features import services
from csrtool.features.catalog import grantable_keys
from csrtool.features.models import Feature
from csrtool.features.tests.conftest import enabled, events, give, narrow
from csrtool.partners.access import cli_actor, staff_actor

ALL = {
    "voice_sites",
    "outbound_campaigns",
    "tts_settings",
    "nl_speech",
    "sms",
    "web_chat",
    "call_recording",
    "reporting",
    "api_access",
    "multi_user",
}


def test_a_new_partner_may_grant_the_whole_catalog(cast):
    assert grantable_keys(cast.acme) == ALL


def test_a_feature_added_to_the_catalog_is_grantable_until_the_operator_narrows(
    cast,
):
    Feature.objects.create(key="video", name="Video calls")
    assert "video" in grantable_keys(cast.acme)
    narrow(cast.acme, "sms")
    Feature.objects.create(key="whatsapp", name="WhatsApp")
    assert grantable_keys(cast.acme) == {"sms"}


def test_narrowing_is_audited_with_before_and_after_sets(cast):
    narrow(cast.acme, "sms", "voice_sites")
    [event] = events("partner.entitlements_changed")
    assert event.partner == cast.acme
    assert event.before == {"restricted": False, "features": sorted(ALL)}
    assert event.after == {"restricted": True, "features": ["sms", "voice_sites"]}


def test_a_csr_cannot_enable_what_the_partner_may_not_grant(cast):
    narrow(cast.acme, "sms")
    with pytest.raises(ValidationFailed) as e:
        services.change_features(
            actor=staff_actor(cast.bob),
            public_id=cast.sam.public_id,
            enable=["web_chat"],
        )
    assert e.value.code == "not_entitled"
    assert e.value.errors["features"] == [
        "Acme Telecom may not grant Web chat. Ask the platform operator to add it "
        "to your entitlements."
    ]
    assert enabled(cast.sam) == set()


def test_a_dependency_the_partner_may_not_grant_is_named(cast):
    narrow(cast.acme, "sms")
    with pytest.raises(ValidationFailed):
        give(cast.sam, "outbound_campaigns", by=cast.bob)


def test_narrowing_one_partner_leaves_the_other_alone(cast):
    narrow(cast.acme, "sms")
    assert grantable_keys(cast.globex) == ALL


def test_features_already_enabled_stay_after_narrowing(cast):
    give(cast.sam, "web_chat", by=cast.bob)
    narrow(cast.acme, "sms")
    services.change_features(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, enable=["sms"]
    )
    assert enabled(cast.sam) == {"web_chat", "sms"}


def test_only_the_operator_sets_entitlements(cast):
    with pytest.raises(PermissionDenied):
        services.set_entitlements(
            actor=staff_actor(cast.alice), partner=cast.acme, features=["sms"]
        )


def test_entitlements_must_include_what_their_features_need(cast):
    with pytest.raises(ValidationFailed):
        services.set_entitlements(
            actor=cli_actor(), partner=cast.acme, features=["outbound_campaigns"]
        )


def test_the_operator_can_give_the_whole_catalog_back(cast):
    narrow(cast.acme, "sms")
    services.set_entitlements(actor=cli_actor(), partner=cast.acme, features=None)
    assert grantable_keys(cast.acme) == ALL
