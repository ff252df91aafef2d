"""Create-account and lookup figures, printed; run by hand, not by the test suite.

    python bench/subscribers.py [--count 2000] [--database-url postgresql://…]

Uses a throw-away data directory (or the given database, whose tables it fills).
"""

import argparse
import statistics
import time

import harness


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    partner, stamp = harness.start(args.database_url)
    from django.db import connection
    from django.test import Client

    from csrtool.partners.access import cli_actor, staff_actor
    from csrtool.partners.models import Role
    from csrtool.partners.services import create_staff
    from csrtool.subscribers.models import Subscriber
    from csrtool.subscribers.services import create_subscriber

    csr = create_staff(
        actor=cli_actor(),
        partner=partner,
        email=f"csr-{stamp}@bench.example",
        role=Role.CSR,
    )
    actor = staff_actor(csr)

    def timed(label, count, func):
        durations = []
        started = time.perf_counter()
        for i in range(count):
            t0 = time.perf_counter()
            func(i)
            durations.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        durations.sort()
        p99 = durations[int(len(durations) * 0.99) - 1]
        print(
            f"{label:<44} {count / total:8.0f} ops/s   p50 "
            f"{statistics.median(durations) * 1000:6.2f} ms   p99 {p99 * 1000:6.2f} ms"
        )

    print(f"database: {connection.vendor}, {args.count} subscribers")
    timed(
        "create_subscriber (validate, insert, audit)",
        args.count,
        lambda i: create_subscriber(
            actor=actor,
            first_name="Bench",
            last_name=f"User{i}",
            email=f"User{i}-{stamp}@Bench.example",
            phone="+12125550100",
            billing_id=f"B{i}",
        ),
    )
    timed(
        "lookup by email (normalised, indexed)",
        args.count,
        lambda i: (
            Subscriber.objects.for_actor(actor)
            .filter(email_canonical=f"user{i}-{stamp}@bench.example")
            .get()
        ),
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(csr)
    timed(
        "GET /subscribers/?q=<email> (whole page)",
        min(args.count, 500),
        lambda i: client.get("/subscribers/", {"q": f"user{i}-{stamp}@bench.example"}),
    )


if __name__ == "__main__":
    main()
