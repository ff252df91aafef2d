from csrtool.features.readiness import annotate_readiness, readiness_of
from csrtool.features.tests.conftest import activate, give, make_number
from csrtool.subscribers.models import Subscriber


def badge(client, subscriber):
    page = client.get(f"/subscribers/{subscriber.public_id}/").content.decode()
    start = page.index('<span class="readiness')
    return page[start : page.index("</p>", start)]


def test_a_new_subscriber_has_only_its_account(cast):
    readiness = readiness_of(cast.sam)
    assert [s.done for s in readiness.steps] == [True, False, False, False]
    assert readiness.done_count == 1
    assert not readiness.complete


def test_each_step_counts_once_done(cast):
    activate(cast.sam)
    assert readiness_of(cast.sam).done_count == 2
    make_number(cast.acme, "2125550101", subscriber=cast.sam)
    assert readiness_of(cast.sam).done_count == 3
    give(cast.sam, "sms", by=cast.bob)
    assert readiness_of(cast.sam).complete


def test_a_held_number_or_a_removed_plan_feature_does_not_count(cast):
    from datetime import timedelta

    from django.utils import timezone

    from csrtool.features.models import Feature, Source, SubscriberFeature

    make_number(
        cast.acme,
        "2125550102",
        subscriber=cast.sam,
        status="held",
        held_until=timezone.now() + timedelta(minutes=5),
    )
    SubscriberFeature.objects.create(
        subscriber=cast.sam,
        feature=Feature.objects.get(key="sms"),
        source=Source.REMOVED,
    )
    readiness = readiness_of(cast.sam)
    assert not readiness.number
    assert not readiness.features


def test_the_annotated_list_agrees_with_the_single_subscriber_answer(cast):
    activate(cast.sam)
    give(cast.sam, "sms", by=cast.bob)
    annotated = annotate_readiness(Subscriber.objects.all()).get(pk=cast.sam.pk)
    assert readiness_of(annotated) == readiness_of(cast.sam)


def test_the_badge_links_to_each_missing_step_and_says_it_in_words(cast, client_for):
    html = badge(client_for(cast.bob), cast.sam)
    assert "1/4" in html
    assert 'Number<span class="visually-hidden"> missing,</span>' in html
    # Each missing step opens the subscriber page where it is done in place.
    detail = f"/subscribers/{cast.sam.public_id}/"
    assert f'href="{detail}#assign-number"' in html
    assert f'href="{detail}#enable-features"' in html
    assert "/numbers/assign/" not in html
    assert "/features/?" not in html
    assert 'Onboarded<span class="visually-hidden"> missing,</span>' in html


def test_the_badge_says_ready_once_everything_is_done(cast, client_for):
    activate(cast.sam)
    make_number(cast.acme, "2125550103", subscriber=cast.sam)
    give(cast.sam, "sms", by=cast.bob)
    html = badge(client_for(cast.bob), cast.sam)
    assert "Ready" in html
    assert "missing" not in html


def test_the_lookup_badges_lead_to_the_place_on_the_subscriber_page(cast, client_for):
    client = client_for(cast.bob)
    results = client.get("/subscribers/?q=sam@customer.example").content.decode()
    detail = f"/subscribers/{cast.sam.public_id}/"
    for anchor in ("assign-number", "enable-features"):
        assert f'href="{detail}#{anchor}"' in results
        assert f'id="{anchor}"' in client.get(detail).content.decode()
