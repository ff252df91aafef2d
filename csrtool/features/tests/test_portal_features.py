from csrtool.features.tests.conftest import give
from csrtool.portal.tests.conftest import activate, portal_client


def test_the_account_page_lists_only_the_enabled_features(cast):
    activate(cast.sam)
    give(cast.sam, "outbound_campaigns", "sms", by=cast.bob)
    page = portal_client(cast.sam).get("/portal/").content.decode()
    assert "<strong>Outbound campaigns</strong>" in page
    assert "<strong>Voice sites (IVR)</strong>" in page
    assert "Web chat" not in page
    assert "Reporting" not in page


def test_without_features_the_page_says_so(cast):
    activate(cast.sam)
    page = portal_client(cast.sam).get("/portal/").content.decode()
    assert "No CX Builder features are enabled on your account yet." in page


def test_gus_never_sees_sams_features(cast):
    activate(cast.gus)
    give(cast.sam, "web_chat", by=cast.bob)
    page = portal_client(cast.gus).get("/portal/").content.decode()
    assert "Web chat" not in page
