"""Measure every in-process path of one database at one size, in this process.

    python -m bench.measure --database-url URL --size 100k --out FILE.json

Run by `python -m bench` on a fresh copy of the cached data set; it also
prepares what the load run and the imports need (a CSR password, API keys,
inputs) and writes it into the same JSON.
"""

import argparse
import cProfile
import io
import json
import pstats
import secrets
import time
from pathlib import Path

from bench import django_env
from bench.timing import Budget, interleaved, peak_memory_kib, ratio


def _warm(path, seconds=1.0, calls=30):
    """Caches, prepared statements and the page cache, before anything counts;
    bounded in time, so a path that scans does not spend minutes here."""
    started = time.perf_counter()
    for n in range(calls):
        arg = path.inputs[n % min(len(path.inputs), 10)]
        path.product(arg)
        path.ceiling(arg)
        if n >= 2 and time.perf_counter() - started > seconds:
            return


def _queries(func, arg) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        func(arg)
    return len(captured.captured_queries)


def _agreement(path, count: int) -> float | None:
    if path.agree is None:
        return None
    checked = path.inputs[:count]
    same = sum(bool(path.agree(path.product(a), path.ceiling(a))) for a in checked)
    return same / len(checked)


def _entry(label, group, ceiling_label, mine, best, **extra) -> dict:
    product, ceiling = mine.summary(), best.summary()
    return {
        "label": label,
        "group": group,
        "ceiling_label": ceiling_label,
        "product": product,
        "ceiling": ceiling,
        "ratio": ratio(product, ceiling),
        **extra,
    }


def run_path(path, budget: Budget, profiles: Path | None = None) -> dict:
    """Time one path (and its follow-up steps) against its ceilings."""
    results = {}
    reading = not path.steps and path.group != "writes"
    if reading:
        _warm(path)
        started = time.perf_counter()
        queries = _queries(path.product, path.inputs[0])
        # A path that scans gets its side checks on fewer inputs.
        slow = time.perf_counter() - started > 0.25
        agree = _agreement(path, 2 if slow else 5)
        peak = peak_memory_kib(path.product, path.inputs, calls=1 if slow else 3)
    else:
        agree = None
        spare = path.memory_inputs
        queries = _queries(path.product, spare[0]) if spare else None
        peak = peak_memory_kib(path.product, spare[1:]) if spare else None
    pairs = [(path.product, path.ceiling)] + [(s[2], s[3]) for s in path.steps]
    series = interleaved(pairs, path.inputs, budget)
    mine, best = series[0]
    mine.queries, mine.peak_kib = queries, peak
    results[path.key] = _entry(
        path.label, path.group, path.ceiling_label, mine, best, agree=agree
    )
    for (key, label, _, _, ceiling_label), (mine, best) in zip(
        path.steps, series[1:], strict=True
    ):
        results[key] = _entry(label, path.group, ceiling_label, mine, best)
    if profiles and reading:
        _profile(path, profiles / f"{path.key}.txt")
    return results


def _profile(path, out, seconds=2.0) -> None:
    """Where the product's time goes on this path: cProfile over a few calls,
    the functions by cumulative time."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    calls = 0
    profiler.enable()
    while calls < 3 or (calls < 50 and time.perf_counter() - started < seconds):
        path.product(path.inputs[calls % len(path.inputs)])
        calls += 1
    profiler.disable()
    text = io.StringIO()
    text.write(f"{path.label}: {calls} calls\n")
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    out.write_text(text.getvalue())


def fixtures(scene) -> dict:
    """A CSR who can sign in, API keys, and inputs for the load run."""
    from csrtool.api.services import create_api_key
    from csrtool.partners.models import Role

    password = secrets.token_urlsafe(18)
    user = scene.csr.user
    user.set_password(password)
    user.save(update_fields=["password"])
    keys = {}
    for role, actor in (("csr", scene.admin), ("partner_admin", scene.admin)):
        _, keys[role] = create_api_key(actor=actor, name=f"Load run {role}", role=role)
    people = scene.subscribers(1000)
    return {
        "csr_email": user.email,
        "csr_password": password,
        "api_key": keys[Role.CSR],
        "admin_api_key": keys[Role.PARTNER_ADMIN],
        "admin_email": scene.admin.user.email,
        "partner": scene.partner.slug,
        "emails": [p.email for p in people],
        "digits": [
            line.dnis[i : i + n]
            for line, n, i in zip(
                scene.numbers(1000),
                [4, 5, 6, 7, 8] * 200,
                [1, 2, 3] * 400,
                strict=False,
            )
        ],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--only", default="", help="comma-separated path keys")
    parser.add_argument("--profile", type=Path, help="folder for cProfile reports")
    args = parser.parse_args()
    django_env.setup(args.database_url)
    from bench import lookups, writes
    from bench.scene import Scene

    scene = Scene(args.size)
    budget = Budget(seconds=args.seconds)
    results = {}
    builders = [
        lookups.subscriber_paths,
        lookups.number_paths,
        writes.assignment_path,
        writes.create_path,
        writes.transaction_path,
    ]
    for build in builders:
        made = build(scene)
        for path in made if isinstance(made, list) else [made]:
            if args.only and path.key not in args.only.split(","):
                continue
            started = time.perf_counter()
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
            for key, entry in run_path(path, budget, args.profile).items():
                results[key] = entry
                p, c = entry["product"], entry["ceiling"]
                print(
                    f"  {entry['label']:<48} p50 {p['p50_ms']:8.2f} ms  "
                    f"p99 {p['p99_ms']:8.2f} ms | ceiling p50 {c['p50_ms']:7.3f} ms"
                    f"  p99 {c['p99_ms']:7.3f} ms  (n={p['n']}, "
                    f"{time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    output = {"paths": results, "fixtures": fixtures(scene)}
    with open(args.out, "w") as file:
        json.dump(output, file, indent=1, default=str)


if __name__ == "__main__":
    main()
