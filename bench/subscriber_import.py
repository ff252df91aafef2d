"""Bulk onboarding's throughput: a CSV of new customers through the command line's
code path (preview, then every account with its welcome email queued), next to
the ceiling of inserting the same subscriber rows with raw SQL the way the
import writes them (one executemany on SQLite, COPY on PostgreSQL), on a fresh
database. Not part of the test run.

    python -m bench.subscriber_import --rows 2000 [--breakdown]
    python -m bench.subscriber_import --rows 2000 \\
        --database postgresql://postgres@127.0.0.1:5432/bench_subimport

--breakdown also prints where the time goes, in milliseconds per row: each
table's many-row INSERTs and each step of the import (timed by wrapping them, which
costs a little).
"""

import argparse
import collections
import os
import resource
import tempfile
import time

from bench import django_env


def customers(count: int) -> str:
    lines = ["first_name,last_name,email,phone,billing_id"]
    lines += [
        f"Cust,Omer{i},c{i}@customer.example,+1 212 555 {1000 + i % 9000},B-{i}"
        for i in range(count)
    ]
    return "\n".join(lines) + "\n"


def ceiling(rows: int, partner) -> float:
    """Rows per second of inserting the same subscribers with raw SQL, rolled
    back afterwards."""
    from django.db import connection, transaction
    from django.utils import timezone

    from csrtool.subscribers.models import Subscriber, new_public_id

    meta = Subscriber._meta
    columns = [
        "public_id",
        "partner_id",
        "first_name",
        "last_name",
        "email",
        "email_canonical",
        "contact_email",
        "phone",
        "time_zone",
        "language",
        "billing_id",
        "status",
        "created_at",
        "updated_at",
    ]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = [
        (
            new_public_id(),
            partner.pk,
            "Cust",
            f"Ceil{i}",
            f"x{i}@ceiling.example",
            f"x{i}@ceiling.example",
            "",
            "+12125551000",
            "UTC",
            "en",
            f"C-{i}",
            "pending_activation",
            now,
            now,
        )
        for i in range(rows)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                table = connection.ops.quote_name(meta.db_table)
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                cursor.executemany(sql, values)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return rows / elapsed


def time_parts() -> collections.Counter:
    """Wrap the bulk INSERTs and the import's steps to add up their time."""
    from django.db.models.query import QuerySet

    from csrtool.audit import services as audit_services
    from csrtool.events import services as event_services
    from csrtool.subscribers import services as subscriber_services
    from csrtool.workflows import bulk_onboarding

    spent: collections.Counter = collections.Counter()

    def timed(function, name):
        def wrapper(*args, **kwargs):
            label = name(*args) if callable(name) else name
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return wrapper

    QuerySet.bulk_create = timed(
        QuerySet.bulk_create, lambda qs, *_: f"INSERT {qs.model.__name__}"
    )
    # The import's own many-row INSERTs, where each caller took the function.
    for module in (audit_services, event_services, subscriber_services):
        module.insert_many = timed(
            module.insert_many, lambda model, *_: f"INSERT {model.__name__}"
        )
    for step in ("check_accounts", "_classify", "_add_together", "_add_one"):
        setattr(
            bulk_onboarding,
            step,
            timed(getattr(bulk_onboarding, step), f"step {step.strip('_')}"),
        )
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--database", help="Default: a new SQLite file.")
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument(
        "--invite-later",
        action="store_true",
        help="Create now, invite later: no welcome email queued by the import.",
    )
    args = parser.parse_args()
    database = args.database or "sqlite:///" + os.path.join(
        tempfile.mkdtemp(prefix="csrtool-bench-"), "bench.sqlite3"
    )
    django_env.setup(database)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from csrtool.partners.access import cli_actor, staff_actor
    from csrtool.partners.models import Role
    from csrtool.partners.services import create_partner, create_staff
    from csrtool.workflows import bulk_onboarding

    spent = time_parts() if args.breakdown else None

    operator = cli_actor()
    partner = create_partner(
        actor=operator, name="Bench Import", slug="bench-import", time_zone="UTC"
    )
    partner.invitations_per_minute = 6000
    partner.save(update_fields=["invitations_per_minute"])
    user = create_staff(
        actor=operator,
        partner=partner,
        email="csr@bench.example",
        role=Role.CSR,
        password="a long enough bench passphrase",
    )
    text = customers(args.rows)
    started, cpu = time.perf_counter(), time.process_time()
    job = bulk_onboarding.import_accounts(
        actor=staff_actor(user, channel="cli"),
        text=text,
        invite_now=not args.invite_later,
    )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert job.added == args.rows, (job.added, job.problems)
    product = args.rows / elapsed
    raw = ceiling(args.rows, partner)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"bulk onboarding{' (invite later)' if args.invite_later else ''}, "
        f"{args.rows} rows on {database.split(':')[0]}: "
        f"{product:,.0f} rows/s ({elapsed:.1f} s, preview included; this "
        f"process's CPU {cpu:.1f} s); "
        f"raw {'COPY' if database.startswith('postgres') else 'INSERT'} ceiling "
        f"{raw:,.0f} rows/s; ratio {raw / product:,.0f}x; "
        f"peak memory {peak} MB"
    )
    for label, seconds in sorted((spent or {}).items(), key=lambda p: -p[1]):
        print(f"  {label:28} {seconds * 1000 / args.rows:.3f} ms/row")


if __name__ == "__main__":
    main()
