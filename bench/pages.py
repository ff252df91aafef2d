"""Every page a CSR, a partner admin and a subscriber open, timed at one size:
the pages the suite's paths do not cover (the dashboard, a subscriber's page,
Browse by country, the audit log, the API's lists, the portal) read nothing
they do not show.

    python -m bench.pages [--sizes 1m] [--databases sqlite,postgresql]

Each page is asked for through Django's handler (no server), PAGE_CALLS times
after one call that warms the caches; the table gives its median, its slowest
call and its queries, and marks every page whose median passes the lookup
pages' goal over HTTP (50 ms). Run on a fresh copy of the cached data set, as
`python -m bench` runs its paths.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from bench import dataset, django_env, report
from bench.store import ROOT, PostgresStore, SQLiteStore

PAGE_CALLS = 10
GOAL_MS = 50.0


def _pages(scene) -> list[tuple[str, str]]:
    """(what, address) of each page, with rows of the data set in them."""
    subscriber = scene.subscribers(1)[0]
    assigned = scene.numbers(50, status="assigned")[0]
    available = scene.numbers(50, status="available")[0]
    owner = assigned.subscriber.public_id
    email = quote(assigned.subscriber.email)
    return [
        ("Home (dashboard)", "/"),
        ("Subscriber Lookup, a name", f"/subscribers/?q={subscriber.last_name}"),
        ("Subscriber Lookup, active ones", "/subscribers/?status=active"),
        ("A subscriber's page", f"/subscribers/{owner}/"),
        ("Edit a subscriber", f"/subscribers/{owner}/edit/"),
        ("Add Enterprise Account", "/subscribers/new/"),
        ("Audit log", "/audit/"),
        ("Audit log, a common action", "/audit/?action=number.assigned"),
        ("Audit log, a rare action", "/audit/?action=audit.exported"),
        ("Audit log, a subscriber", f"/audit/?target={owner}"),
        ("Audit log, one number", f"/audit/?target={assigned.dnis}"),
        ("Audit log, one month", "/audit/?since=2024-05-01&until=2024-05-31"),
        ("Audit log, a CSR", "/audit/?actor=csr07%40"),
        ("Audit log, a subscriber's sign-ins", f"/audit/?actor={email}"),
        ("Number Pool Admin", "/numbers/admin/"),
        ("Number Pool Admin, assigned", "/numbers/admin/?state=assigned"),
        ("Phone Line Lookup, 4 digits", f"/numbers/lookup/?q={assigned.dnis[-4:]}"),
        ("Browse Available Numbers", "/numbers/available/"),
        ("Browse, a country's letters", "/numbers/available/?country=GB"),
        ("An assigned number's page", f"/numbers/{assigned.dnis}/"),
        ("An available number's page", f"/numbers/{available.dnis}/"),
        ("Features", "/features/"),
        ("Staff", "/staff/"),
        ("API: subscribers", "/api/v1/subscribers"),
        ("API: active subscribers", "/api/v1/subscribers?status=active"),
        ("API: one subscriber", f"/api/v1/subscribers/{owner}"),
        ("API: numbers", "/api/v1/numbers"),
        ("API: assigned numbers", "/api/v1/numbers?status=assigned"),
        ("API: audit events", "/api/v1/audit-events"),
        (
            "API: audit events, actions by their start",
            "/api/v1/audit-events?action=staff.",
        ),
    ]


def _portal_pages(scene) -> list[tuple[str, str]]:
    """The subscriber's own pages: the numbers page by country, then area."""
    line = scene.numbers(50, status="available")[0]
    country, area = line.country_code, line.area_code
    return [
        ("Portal: home", "/portal/"),
        ("Portal: numbers", "/portal/numbers/"),
        ("Portal: a country's area codes", f"/portal/numbers/?country={country}"),
        (
            "Portal: an area's numbers",
            f"/portal/numbers/?country={country}&area={area}",
        ),
        ("Portal: settings", "/portal/settings/"),
    ]


def _portal_client(scene):
    """A client signed in to the portal as an active subscriber of the partner,
    as a sign-in leaves it (the copy's subscriber gets credentials if it has
    none)."""
    from django.test import Client

    from csrtool.onboarding.models import SubscriberCredentials
    from csrtool.portal import auth
    from csrtool.subscribers.models import Status

    subscriber = scene.subscribers(1, status=Status.ACTIVE)[0]
    credentials, _ = SubscriberCredentials.objects.get_or_create(
        subscriber=subscriber,
        defaults={
            "password_hash": "-",
            "pin_hash": "-",
            "security_question": "-",
            "security_answer_hash": "-",
        },
    )
    client = Client(HTTP_HOST="127.0.0.1:8000")
    session = client.session
    session[auth.SESSION_KEY] = subscriber.pk
    session[auth.HASH_SESSION_KEY] = auth.credentials_digest(credentials)
    session.save()
    return client


def _row(what: str, get, address: str) -> list[str]:
    """A page's line of the table: asked for once to warm the caches, then
    timed PAGE_CALLS times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    status = get(address).status_code
    times = []
    for _ in range(PAGE_CALLS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            get(address)
            times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    return [
        what,
        str(status),
        f"{median:.1f}",
        f"{max(times):.1f}",
        str(len(queries)),
        "over" if median > GOAL_MS else "",
    ]


def measure(database_url: str, size: str) -> None:
    """Time every page on this database (in this process) and print them."""
    django_env.setup(database_url)
    from django.test import Client

    from bench.scene import Scene
    from csrtool.api.services import create_api_key
    from csrtool.partners.models import Role

    scene = Scene(size)
    _, key = create_api_key(
        actor=scene.admin, name="Page timings", role=Role.PARTNER_ADMIN
    )
    api = Client(HTTP_HOST="127.0.0.1:8000", HTTP_AUTHORIZATION=f"Bearer {key}")
    rows = []
    for role, actor in (("CSR", scene.csr), ("partner admin", scene.admin)):
        client = Client(HTTP_HOST="127.0.0.1:8000")
        client.force_login(actor.user)
        for what, address in _pages(scene):
            if address.startswith("/api/") and role == "CSR":
                continue
            get = (api if address.startswith("/api/") else client).get
            rows.append(_row(f"{what} ({role})", get, address))
    portal = _portal_client(scene)
    for what, address in _portal_pages(scene):
        rows.append(_row(f"{what} (subscriber)", portal.get, address))
    header = ["page", "status", "p50 ms", "slowest ms", "queries", f"> {GOAL_MS:g}"]
    print(report.console_table(header, rows), flush=True)
    failed = [row[0] for row in rows if row[1] != "200"]
    if failed:
        sys.exit(f"pages that did not answer 200: {', '.join(failed)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1m", help="of 10k,100k,1m")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "CSRTOOL_BENCH_POSTGRES_URL",
            "postgresql://postgres@127.0.0.1:5432/postgres",
        ),
    )
    parser.add_argument(
        "--cache-dir", default=os.path.join(tempfile.gettempdir(), "csrtool-bench")
    )
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.database_url:
        measure(args.database_url, args.size)
        return
    stores = {
        "sqlite": lambda: SQLiteStore(Path(args.cache_dir)),
        "postgresql": lambda: PostgresStore(args.postgres_url),
    }
    for size in args.sizes.split(","):
        if size not in dataset.SIZES:
            parser.error(f"unknown size {size!r}")
        for vendor in args.databases.split(","):
            store = stores[vendor]()
            print(f"\n== {report.DATABASES[vendor]}, {size}", flush=True)
            url, _ = store.prepare(size)
            try:
                command = [sys.executable, "-m", "bench.pages"]
                command += ["--database-url", url, "--size", size]
                subprocess.run(
                    command,
                    check=True,
                    cwd=ROOT,
                    env=django_env.child_environment(url),
                )
            finally:
                store.discard(url)


if __name__ == "__main__":
    main()
