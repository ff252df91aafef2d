"""`python -m bench`: the whole benchmark suite, one command.

For each database and size: make (or reuse) the data set, copy it fresh, time
every in-process path against its ceiling, then (largest size) a load run of
`csrtool serve` with wrk, then the bulk imports. Prints the figures, writes them
as JSON, and after a full run (every size, both databases) rewrites the figures
in BENCHMARKS.md and the chart bench/p99-by-size.svg.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import chart, dataset, django_env, docs, machine, report, serve
from bench.store import PostgresStore, SQLiteStore

ROOT = django_env.ROOT
RESULTS = ROOT / "bench" / "results"
FULL = (list(dataset.SIZES), ["sqlite", "postgresql"])


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(dataset.SIZES),
        help="comma-separated, of 10k,100k,1m (default: all three)",
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated, of sqlite,postgresql (default: both)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "CSRTOOL_BENCH_POSTGRES_URL",
            "postgresql://postgres@127.0.0.1:5432/postgres",
        ),
        help="a PostgreSQL server the suite may create bench_suite_* databases on",
    )
    parser.add_argument(
        "--cache-dir",
        default=os.path.join(tempfile.gettempdir(), "csrtool-bench"),
        help="where SQLite data sets are kept between runs",
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="time per in-process path"
    )
    parser.add_argument(
        "--load-seconds", type=int, default=10, help="wrk time per HTTP target"
    )
    parser.add_argument(
        "--load-sizes",
        default="largest",
        help="sizes to run the HTTP load run at (default: the largest)",
    )
    parser.add_argument("--no-load", action="store_true", help="skip the load run")
    parser.add_argument("--no-import", action="store_true", help="skip the imports")
    parser.add_argument(
        "--import-seconds",
        type=float,
        default=150.0,
        help="time budget per import door: it stops after the file that passes it",
    )
    parser.add_argument(
        "--only", default="", help="in-process path keys to run (comma-separated)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also write a cProfile report of every read path beside the JSON",
    )
    parser.add_argument("--out", help="JSON file (default: bench/results/run-….json)")
    parser.add_argument(
        "--docs",
        choices=["auto", "yes", "no"],
        default="auto",
        help="rewrite BENCHMARKS.md and the chart (auto: after a full run)",
    )
    parser.add_argument(
        "--drop-cache", action="store_true", help="drop cached data sets and exit"
    )
    args = parser.parse_args(argv)
    args.sizes = [s.strip().lower() for s in args.sizes.split(",") if s.strip()]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    for size in args.sizes:
        if size not in dataset.SIZES:
            parser.error(
                f"unknown size {size!r}; choose from {', '.join(dataset.SIZES)}"
            )
    for db in args.databases:
        if db not in report.DATABASES:
            parser.error(f"unknown database {db!r}; choose sqlite or postgresql")
    args.sizes.sort(key=dataset.SIZES.get)
    loads = (
        args.sizes[-1:] if args.load_sizes == "largest" else args.load_sizes.split(",")
    )
    args.load_sizes = [] if args.no_load else loads
    return args


def _child(module: str, database_url: str, *options) -> None:
    command = [sys.executable, "-m", module, "--database-url", database_url, *options]
    subprocess.run(
        command, check=True, cwd=ROOT, env=django_env.child_environment(database_url)
    )


def run_one(store, size: str, args, folder: Path) -> dict:
    """Every step at one size on one database; returns its figures."""
    started = time.perf_counter()
    result = {}
    print(f"\n== {report.DATABASES[store.vendor]}, {size}", flush=True)
    url, built = store.prepare(size)
    result["build_seconds"] = built
    result["prepare_seconds"] = time.perf_counter() - started
    print(
        f"  data set {report.origin(built)}; "
        f"fresh copy ready after {result['prepare_seconds']:.0f} s",
        flush=True,
    )
    try:
        measured = folder / f"{store.vendor}-{size}.json"
        options = ["--size", size, "--out", str(measured)]
        options += ["--seconds", str(args.seconds)]
        options += ["--only", args.only] if args.only else []
        if args.profile:
            profiles = RESULTS / f"run-{args.stamp}-profiles" / f"{store.vendor}-{size}"
            options += ["--profile", str(profiles)]
        _child("bench.measure", url, *options)
        figures = json.loads(measured.read_text())
        result["paths"] = figures["paths"]
        print(
            "\n"
            + report.console_table(
                report.PATH_HEADER, report.path_rows(figures["paths"])
            ),
            flush=True,
        )
        if size in args.load_sizes:
            print("  load run (wrk, loopback)", flush=True)
            result["http"] = _attempt(
                lambda: serve.load_run(
                    url, figures["fixtures"], seconds=args.load_seconds
                )
            )
        if not args.no_import:
            print(f"  bulk import, {dataset.SIZES[size]:,} rows per door", flush=True)
            result["imports"] = _attempt(
                lambda: _imports(
                    url, size, measured, folder / "imports.json", args.import_seconds
                )
            )
            print(
                report.console_table(
                    report.IMPORT_HEADER, report.import_rows(result["imports"])
                ),
                flush=True,
            )
    finally:
        store.discard(url)
    result["seconds"] = time.perf_counter() - started
    return result


def _attempt(step) -> dict:
    """A step's figures, or what went wrong: one failed step does not cost the
    rest of a half-hour run."""
    try:
        return step()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as e:
        print(f"  failed: {e}", flush=True)
        return {"error": str(e)[-1000:]}


def _imports(url, size, measured, out, budget) -> dict:
    options = ["--rows", str(dataset.SIZES[size]), "--budget", str(budget)]
    options += ["--fixtures", str(measured), "--out", str(out)]
    _child("bench.imports", url, *options)
    return json.loads(out.read_text())


def main(argv=None) -> None:
    args = _arguments(argv)
    stores = {
        "sqlite": lambda: SQLiteStore(Path(args.cache_dir)),
        "postgresql": lambda: PostgresStore(args.postgres_url),
    }
    if args.drop_cache:
        shutil.rmtree(args.cache_dir, ignore_errors=True)
        if "postgresql" in args.databases:
            stores["postgresql"]().drop_cache()
        print("cached data sets dropped")
        return
    folder = Path(tempfile.mkdtemp(prefix="csrtool-bench-run-"))
    os.environ["CSRTOOL_BENCH_DATA_DIR"] = str(folder)
    started_at = datetime.now(UTC)
    args.stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    started = time.perf_counter()
    before = machine.snapshot()
    output = {
        "command": "python -m bench "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": started_at.isoformat(timespec="seconds"),
        "machine": machine.describe(),
        "sizes": args.sizes,
        "seed": dataset.SEED,
        "runs": {},
    }
    if "postgresql" in args.databases:
        output["machine"]["postgresql"] = machine.postgres(args.postgres_url)
    try:
        for db in args.databases:
            store = stores[db]()
            output["runs"][db] = {}
            for size in args.sizes:
                output["runs"][db][size] = run_one(store, size, args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - started
    output["seconds"] = seconds
    output["machine"]["sharing"] = machine.sharing(before, machine.snapshot(), seconds)
    RESULTS.mkdir(exist_ok=True)
    out = Path(args.out) if args.out else RESULTS / f"run-{args.stamp}.json"
    out.write_text(json.dumps(output, indent=1, default=str))
    goals = report.goals(output["runs"], args.sizes[-1], args.sizes[0])
    print("\n" + report.console_table(report.GOAL_HEADER, goals))
    print(f"\nFigures written to {out}; whole run {seconds / 60:.1f} minutes.")
    full = (args.sizes, sorted(args.databases)) == (FULL[0], sorted(FULL[1]))
    if args.docs == "yes" or (args.docs == "auto" and full and not args.only):
        docs.write(output, goals)
        print("BENCHMARKS.md and bench/p99-by-size.svg rewritten.")
    out.with_suffix(".svg").write_text(chart.svg(output["runs"], args.sizes))
