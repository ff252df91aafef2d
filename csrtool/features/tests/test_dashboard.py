from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.conftest import make_subscriber
from csrtool.features.tests.conftest import activate, give, make_number
from csrtool.tests.answers import page_and_queries


def old(subscriber, days):
    subscriber.created_at = timezone.now() - timedelta(days=days)
    subscriber.save()
    return subscriber


def test_the_funnel_counts_subscribers_at_each_stage(cast, client_for):
    ann = make_subscriber(cast.acme, email="ann@customer.example", first_name="Ann")
    activate(ann)
    make_number(cast.acme, "2125550110", subscriber=ann)
    give(ann, "sms", by=cast.bob)
    activate(cast.sam)
    page = client_for(cast.bob).get("/").content.decode()
    assert (
        '<desc id="funnel-desc">Account created: 2, Onboarded by the subscriber: 2, '
        "…and number assigned: 1, …and features enabled: ready: 1</desc>"
    ) in page
    assert '<th scope="row">Account created</th><td>2</td>' in page


def test_the_pool_chart_shows_each_type_and_state(cast, client_for):
    make_number(cast.acme, "8005550100", number_type="tollfree")
    make_number(cast.acme, "2125550111", subscriber=cast.sam)
    make_number(cast.acme, "2125550112")
    make_number(cast.globex, "2125550113")
    page = client_for(cast.alice).get("/").content.decode()
    assert "Local: 1 available, 0 held, 1 assigned, 0 aging" in page
    assert "Toll-free: 1 available, 0 held, 0 assigned, 0 aging" in page


def test_stuck_subscribers_are_listed_with_links_to_the_missing_steps(cast, client_for):
    old(cast.sam, 10)
    fresh = make_subscriber(cast.acme, email="new@customer.example", first_name="New")
    page = client_for(cast.bob).get("/?days=7").content.decode()
    assert "Stuck for more than 7 days" in page
    start = page.index('id="stuck-heading"')
    stuck = page[start : page.index("</table>", start)]
    assert "Sam Sample" in stuck
    assert "Welcome email unanswered" in stuck
    assert (
        f'<a href="/subscribers/{cast.sam.public_id}/#enable-features">No features</a>'
        in stuck
    )
    assert fresh.full_name not in stuck


def test_a_ready_subscriber_is_not_stuck(cast, client_for):
    old(cast.sam, 10)
    activate(cast.sam)
    make_number(cast.acme, "2125550114", subscriber=cast.sam)
    give(cast.sam, "sms", by=cast.bob)
    page = client_for(cast.bob).get("/?days=1").content.decode()
    assert "No subscriber is stuck." in page


def test_globex_sees_none_of_acmes_figures(cast, client_for):
    old(cast.sam, 30)
    make_number(cast.acme, "2125550115", subscriber=cast.sam)
    page = client_for(cast.charlie).get("/?days=1").content.decode()
    assert "Sam Sample" not in page
    assert "Account created: 1," in page
    assert "number pool has no numbers yet" in page


@pytest.mark.parametrize("user", ["bob", "olivia"])
def test_the_dashboard_costs_the_same_queries_for_3_and_30_rows(cast, client_for, user):
    client = client_for(getattr(cast, user))
    client.get("/?days=7")  # the session and caches warm up
    stuck_ones, cost = [], {}
    for size in (3, 30):
        for n in range(len(stuck_ones), size):
            stuck_ones.append(
                old(
                    make_subscriber(
                        cast.acme,
                        email=f"s{n}@customer.example",
                        first_name=f"Stuck{n}",
                        last_name="Waiting",
                    ),
                    20,
                )
            )
            make_number(cast.acme, f"21255502{n:02d}")
        page, cost[size] = page_and_queries(client, "/", {"days": 7})
        start = page.index('id="stuck-heading"')
        stuck = page[start : page.index("</table>", start)]
        assert stuck.count("Welcome email unanswered") == size
        for subscriber in stuck_ones:
            assert f">{subscriber.full_name}</a></th>" in stuck
        if user == "olivia":  # the operator sees each row's partner
            assert stuck.count("<td>Acme Telecom</td>") == size
        assert f"Local: {size} available, 0 held, 0 assigned, 0 aging" in page
        others = 2 if user == "olivia" else 1  # sam, and for the operator gus
        assert f"Account created: {size + others}," in page
    assert cost[3] == cost[30]


def test_a_large_pool_is_counted_by_a_job_and_shown_as_counted(
    cast, client_for, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from csrtool.conftest import run_jobs
    from csrtool.features import dashboard

    monkeypatch.setattr(dashboard, "COUNT_ON_VIEW", 1)
    make_number(cast.acme, "2125550116", subscriber=cast.sam)
    make_number(cast.acme, "2125550117")
    client = client_for(cast.bob)

    first = client.get("/").content.decode()
    again = client.get("/").content.decode()

    for page in (first, again):
        assert "Counting the subscribers and numbers of a large pool" in page
        assert "funnel-desc" not in page and "pool-desc" not in page
    jobs = DBTaskResult.objects.filter(
        task_path="csrtool.features.tasks.count_dashboard"
    ).order_by("enqueued_at")
    assert [job.args_kwargs["args"] for job in jobs] == [[str(cast.acme.pk)]]

    run_jobs()
    page = client.get("/").content.decode()
    assert "Counted 0\xa0minutes ago." in page
    assert "Account created: 1, Onboarded by the subscriber: 0," in page
    assert "Local: 1 available, 0 held, 1 assigned, 0 aging" in page
    # Globex's own counts: its own job, none of Acme's figures.
    globex = client_for(cast.charlie).get("/").content.decode()
    assert "Counting the subscribers and numbers of a large pool" in globex
    assert [job.args_kwargs["args"] for job in jobs.all()] == [
        [str(cast.acme.pk)],
        [str(cast.globex.pk)],
    ]


def test_counts_older_than_the_recount_time_are_shown_while_a_job_counts_again(
    cast, client_for, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from csrtool.features import dashboard
    from csrtool.features.models import DashboardCounts

    monkeypatch.setattr(dashboard, "COUNT_ON_VIEW", 1)
    stored = dashboard.store_counts(str(cast.acme.pk))
    DashboardCounts.objects.filter(pk=stored.pk).update(
        counted_at=timezone.now() - timedelta(minutes=6)
    )

    page = client_for(cast.bob).get("/").content.decode()

    assert "Counted 6\xa0minutes ago; counting again now." in page
    assert "Account created: 1," in page
    jobs = DBTaskResult.objects.filter(
        task_path="csrtool.features.tasks.count_dashboard"
    )
    assert [job.args_kwargs["args"] for job in jobs] == [[str(cast.acme.pk)]]
