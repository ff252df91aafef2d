import pytest

from csrtool.errors import PermissionDenied, ValidationFailed
from csrtool.features import services
from csrtool.features.catalog import grantable_keys, load_catalog
from csrtool.features.tests.conftest import enabled, events, give
from csrtool.partners.access import cli_actor, staff_actor


def edit(key, actor=None, **changes):
    catalog = load_catalog()
    feature = catalog.features[key]
    values = {
        "name": feature.name,
        "description": feature.description,
        "dependencies": catalog.requires[key],
        "is_active": feature.is_active,
        **changes,
    }
    return services.update_feature(actor=actor or cli_actor(), key=key, **values)


def test_the_catalog_ships_with_the_features_the_platform_sells(db):
    catalog = load_catalog()
    assert catalog.features["tts_settings"].name == "TTS settings"
    assert catalog.requires["outbound_campaigns"] == {"voice_sites"}
    assert len(catalog.features) == 10


def test_the_operator_edits_a_feature_and_the_change_is_audited(cast):
    edit("sms", name="SMS messaging", dependencies={"voice_sites"})
    assert load_catalog().requires["sms"] == {"voice_sites"}
    [event] = events("catalog.feature_updated")
    assert event.before["name"] == "SMS"
    assert event.after == {
        "name": "SMS messaging",
        "description": event.before["description"],
        "dependencies": ["voice_sites"],
        "is_active": True,
    }


def test_a_dependency_cannot_go_both_ways(cast):
    with pytest.raises(ValidationFailed) as e:
        edit("voice_sites", dependencies={"outbound_campaigns"})
    assert e.value.errors["dependencies"] == [
        "Outbound campaigns already depends on Voice sites (IVR); a dependency "
        "cannot go both ways."
    ]


def test_a_partner_admin_cannot_edit_the_catalog(cast):
    with pytest.raises(PermissionDenied):
        edit("sms", actor=staff_actor(cast.alice), name="Texts")


def test_an_inactive_feature_is_no_longer_granted_but_subscribers_keep_it(cast):
    give(cast.sam, "web_chat", by=cast.bob)
    edit("web_chat", is_active=False)
    assert "web_chat" not in grantable_keys(cast.acme)
    assert enabled(cast.sam) == {"web_chat"}
    with pytest.raises(ValidationFailed):
        give(cast.gus, "web_chat", by=cast.charlie)
