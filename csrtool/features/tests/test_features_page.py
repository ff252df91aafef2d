import re

from csrtool.audit.models import AuditEvent
from csrtool.features.tests.conftest import enabled, give, make_plan, narrow
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID, table_rows, words


def url(subscriber):
    return f"/features/?subscriber={subscriber.public_id}"


def test_without_a_subscriber_the_page_asks_for_one(cast, client_for):
    page = client_for(cast.bob).get("/features/").content.decode()
    assert '<label for="id_subscriber">Subscriber ID or login email</label>' in page


def test_the_page_lists_every_grantable_feature_with_its_description(cast, client_for):
    narrow(cast.acme, "voice_sites", "outbound_campaigns", "sms")
    page = client_for(cast.bob).get(url(cast.sam)).content.decode()
    assert 'value="outbound_campaigns"' in page
    assert "Needs Voice sites (IVR)." in page
    assert "Send and receive text messages" in page
    assert 'value="web_chat"' not in page
    assert "Sam Sample" in page


def test_saving_once_changes_the_set_and_the_confirmation_says_what_changed(
    cast, client_for
):
    give(cast.sam, "web_chat", by=cast.bob)
    client = client_for(cast.bob)
    response = client.post(
        "/features/",
        {"subscriber": cast.sam.public_id, "features": ["sms", "reporting"]},
        follow=True,
    )
    assert enabled(cast.sam) == {"sms", "reporting"}
    assert (
        "Sam Sample: Enabled SMS and Reporting; disabled Web chat."
        in response.content.decode()
    )


def test_a_missing_dependency_is_shown_before_saving_and_then_enabled(cast, client_for):
    client = client_for(cast.bob)
    response = client.post(
        "/features/",
        {"subscriber": cast.sam.public_id, "features": ["outbound_campaigns"]},
    )
    page = response.content.decode()
    assert "Outbound campaigns needs Voice sites (IVR). Enable it too." in page
    assert "Enable Voice sites (IVR) too and save" in page
    assert enabled(cast.sam) == set()
    client.post(
        "/features/",
        {
            "subscriber": cast.sam.public_id,
            "features": ["outbound_campaigns"],
            "enable_dependencies": "1",
        },
    )
    assert enabled(cast.sam) == {"outbound_campaigns", "voice_sites"}


def test_disabling_voice_sites_asks_to_disable_its_dependents(cast, client_for):
    give(cast.sam, "outbound_campaigns", by=cast.bob)
    client = client_for(cast.bob)
    page = client.post(
        "/features/",
        {"subscriber": cast.sam.public_id, "features": ["outbound_campaigns"]},
    ).content.decode()
    assert "Disable Outbound campaigns too and save" in page
    assert enabled(cast.sam) == {"outbound_campaigns", "voice_sites"}
    client.post(
        "/features/",
        {
            "subscriber": cast.sam.public_id,
            "features": ["outbound_campaigns"],
            "disable_dependents": "1",
        },
    )
    assert enabled(cast.sam) == set()


def test_a_forged_post_cannot_enable_what_the_partner_may_not_grant(cast, client_for):
    narrow(cast.acme, "sms")
    response = client_for(cast.bob).post(
        "/features/", {"subscriber": cast.sam.public_id, "features": ["web_chat"]}
    )
    assert response.status_code == 400
    assert "Acme Telecom may not grant Web chat." in response.content.decode()
    assert enabled(cast.sam) == set()


def test_the_page_applies_a_plan(cast, client_for):
    plan = make_plan(cast.alice, "Voice", "voice_sites", "reporting")
    response = client_for(cast.bob).post(
        "/features/",
        {"subscriber": cast.sam.public_id, "action": "plan", "plan": plan.pk},
        follow=True,
    )
    assert enabled(cast.sam) == {"voice_sites", "reporting"}
    page = response.content.decode()
    assert "Plan Voice applied; enabled Voice sites (IVR) and Reporting." in page
    assert "From the plan Voice." in page


def test_an_auditor_sees_the_features_but_cannot_save(cast, client_for):
    give(cast.sam, "sms", by=cast.bob)
    client = client_for(cast.avery)
    page = client.get(url(cast.sam)).content.decode()
    assert "You can see these features but not change them." in page
    assert "Save features" not in page
    response = client.post(
        "/features/", {"subscriber": cast.sam.public_id, "features": []}
    )
    assert response.status_code == 404
    assert enabled(cast.sam) == {"sms"}


def test_charlie_gets_the_same_answer_for_acmes_subscriber_as_for_an_unknown_one(
    cast, client_for
):
    client = client_for(cast.charlie)
    foreign = client.get(url(cast.sam))
    unknown = client.get(f"/features/?subscriber={UNKNOWN_SUBSCRIBER_ID}")
    assert foreign.status_code == unknown.status_code == 404

    def masked(response, public_id):
        page = response.content.decode().replace(public_id, "<id>")
        return re.sub(r'(name="csrfmiddlewaretoken" value=)"\w+"', r"\1", page)

    seen = masked(foreign, cast.sam.public_id)
    assert seen == masked(unknown, UNKNOWN_SUBSCRIBER_ID)
    assert "No subscriber has the Subscriber ID &#x27;<id>&#x27;." in seen
    assert "Sam" not in seen
    response = client.post(
        "/features/", {"subscriber": cast.sam.public_id, "features": ["sms"]}
    )
    assert response.status_code == 404
    assert enabled(cast.sam) == set()


def test_the_subscriber_page_shows_its_features_and_where_they_came_from(
    cast, client_for
):
    give(cast.sam, "sms", by=cast.bob)
    page = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/")
    content = page.content.decode()
    assert "SMS <small>(enabled individually)</small>" in content
    assert "Change features" in content


def main_text(response) -> str:
    """What the page's main area says, as a reader sees it."""
    assert response.status_code == 200
    return words(re.search(r"(?s)<main.*?</main>", response.content.decode())[0])


def ticked(response) -> set[tuple[str, str]]:
    """(name, value) of every checked checkbox and radio button."""
    inputs = re.findall(r"<input[^>]*\bchecked\b[^>]*>", response.content.decode())
    return {
        (
            re.search(r'name="([^"]*)"', i)[1],
            re.search(r'value="([^"]*)"|$', i)[1] or "on",
        )
        for i in inputs
    }


def test_the_plan_pages_show_the_partners_plans(cast, client_for):
    voice = make_plan(cast.alice, "Voice", "voice_sites")
    make_plan(cast.gina, "Globex chat", "web_chat")
    narrow(cast.acme, "voice_sites", "sms")
    admin = client_for(cast.alice)

    plans = admin.get("/features/plans/")
    assert "The platform operator lets you grant these features: Voice sites (IVR)" in (
        main_text(plans)
    )
    assert "Web chat" not in main_text(plans)
    assert table_rows(plans) == ["Voice | Voice sites (IVR) | "]

    new = admin.get("/features/plans/new/")
    assert main_text(new).startswith("Add a plan Plan name")
    assert re.findall(r'name="features" value="(\w+)"', new.content.decode()) == [
        "voice_sites",
        "sms",
    ]
    assert ticked(new) == set()

    edit = admin.get(f"/features/plans/{voice.pk}/")
    assert main_text(edit).startswith("Edit plan Voice")
    assert 'name="name" value="Voice"' in edit.content.decode()
    assert ticked(edit) == {("features", "voice_sites")}

    every = client_for(cast.olivia).get("/features/plans/")
    assert table_rows(every) == [
        "Voice | Acme Telecom | Voice sites (IVR) | ",
        "Globex chat | Globex Voice | Web chat | ",
    ]

    gina = client_for(cast.gina)
    foreign = gina.get(f"/features/plans/{voice.pk}/")
    unknown = gina.get(f"/features/plans/{voice.pk + 1000}/")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.content == unknown.content


def test_the_catalog_pages_show_the_catalog_and_each_partners_entitlements(
    cast, client_for
):
    narrow(cast.acme, "voice_sites", "sms")
    operator = client_for(cast.olivia)

    catalog = table_rows(operator.get("/features/catalog/"))
    assert len(catalog) == 10 + 2  # every feature, then every partner
    assert "SMS | sms | — | Yes" in catalog
    assert (
        "Outbound campaigns | outbound_campaigns | Voice sites (IVR) | Yes" in catalog
    )
    assert catalog[-2:] == [
        "Acme Telecom | Voice sites (IVR), SMS",
        "Globex Voice | The whole catalog",
    ]

    sms = operator.get("/features/catalog/sms/")
    assert main_text(sms).startswith("Edit SMS Key sms")
    assert 'name="name" value="SMS"' in sms.content.decode()
    assert ticked(sms) == {("is_active", "on")}

    acme = operator.get("/features/entitlements/acme/")
    assert main_text(acme).startswith("Entitlements of Acme Telecom")
    assert ticked(acme) == {
        ("scope", "restricted"),
        ("features", "voice_sites"),
        ("features", "sms"),
    }

    alice = client_for(cast.alice)
    refused = alice.get("/features/catalog/")
    assert refused.status_code == 404
    assert refused.content == alice.get("/features/no-such-page/").content


def test_a_partner_admin_adds_a_plan_on_the_page(cast, client_for):
    response = client_for(cast.alice).post(
        "/features/plans/new/",
        {"name": "Chat", "description": "Web only", "features": ["web_chat", "sms"]},
        follow=True,
    )
    assert "Plan Chat saved." in response.content.decode()
    assert AuditEvent.objects.filter(action="plan.created").count() == 1


def test_the_operator_narrows_entitlements_on_the_page(cast, client_for):
    from csrtool.features.catalog import grantable_keys

    client_for(cast.olivia).post(
        "/features/entitlements/acme/",
        {"scope": "restricted", "features": ["sms", "voice_sites"]},
    )
    assert grantable_keys(cast.acme) == {"sms", "voice_sites"}


def test_a_nul_in_a_plan_or_feature_name_is_a_form_error(cast, client_for):
    plan = make_plan(cast.alice, "Voice", "voice_sites")
    for user, path in [
        (cast.alice, "/features/plans/new/"),
        (cast.alice, f"/features/plans/{plan.pk}/"),
        (cast.olivia, "/features/catalog/sms/"),
    ]:
        response = client_for(user).post(
            path, {"name": "Chat\x00", "description": "x", "features": ["sms"]}
        )
        assert response.status_code == 200, path
        assert "Null characters are not allowed." in response.content.decode()
    changes = AuditEvent.objects.filter(
        action__in=["plan.updated", "catalog.feature_updated"]
    )
    assert not changes.exists()
    assert AuditEvent.objects.filter(action="plan.created").count() == 1  # Voice
