from django.db import connection

from csrtool.conftest import make_subscriber
from csrtool.features.tests.conftest import enabled, events, make_plan


def test_lookup_results_offer_checkboxes_for_a_bulk_change(cast, client_for):
    page = client_for(cast.bob).get("/subscribers/?q=sam").content.decode()
    assert f'name="subscriber" value="{cast.sam.public_id}"' in page
    assert "Change features of the selected" in page


def test_an_auditor_gets_no_bulk_checkboxes(cast, client_for):
    page = client_for(cast.avery).get("/subscribers/?q=sam").content.decode()
    assert "Change features of the selected" not in page


def test_lookup_results_cost_a_fixed_number_of_queries(
    cast, client_for, django_assert_max_num_queries
):
    for n in range(30):
        make_subscriber(cast.acme, email=f"sam{n}@customer.example")
    client = client_for(cast.bob)
    # A part of a name is four queries of the lookup on SQLite (whole keys, the
    # trigram hits, their order by date, the page), whatever the number of
    # rows; seven on PostgreSQL (whole keys, the probe of the newest rows, the
    # hits with bitmap scans only in a transaction of their own: savepoint,
    # settings, hits, rollback; the page).
    limit = 13 if connection.vendor == "postgresql" else 10
    with django_assert_max_num_queries(limit):
        page = client.get("/subscribers/?q=sam").content.decode()
    assert page.count('<span class="readiness">') == 31


def test_preview_then_apply_a_plan_to_the_selected(cast, client_for):
    ann = make_subscriber(cast.acme, email="ann@customer.example", first_name="Ann")
    plan = make_plan(cast.alice, "Voice", "voice_sites", "reporting")
    client = client_for(cast.bob)
    data = {
        "subscriber": [cast.sam.public_id, ann.public_id],
        "operation": "plan",
        "plan": plan.pk,
        "action": "preview",
    }
    page = client.post("/features/bulk/", data).content.decode()
    assert "Preview: nothing is changed yet" in page
    assert "Voice sites (IVR) and Reporting" in page
    assert "Apply to 2 subscribers" in page
    assert enabled(cast.sam) == set()
    page = client.post("/features/bulk/", {**data, "action": "apply"}, follow=True)
    assert "Changed 2 subscribers." in page.content.decode()
    assert enabled(cast.sam) == enabled(ann) == {"voice_sites", "reporting"}
    assert len(events("subscriber.plan_applied")) == 2


def test_a_bulk_feature_change_skips_foreign_subscribers(cast, client_for):
    page = (
        client_for(cast.bob)
        .post(
            "/features/bulk/",
            {
                "subscriber": [cast.sam.public_id, cast.gus.public_id],
                "operation": "features",
                "feature_sms": "on",
                "action": "apply",
            },
        )
        .content.decode()
    )
    assert "Changed 1 subscriber; 1 skipped (see below)." in page
    assert "Gus" not in page
    assert enabled(cast.sam) == {"sms"}
    assert enabled(cast.gus) == set()
