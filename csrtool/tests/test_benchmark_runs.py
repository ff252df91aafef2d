"""The benchmark command keeps working as the product changes: its smallest data
set, every in-process path once (product and ceiling), on SQLite. It asserts
that each path ran and that the product's first page is the ceiling's, never
how fast either was (speed is the benchmark's own business)."""

import json
import os
import subprocess
import sys

from bench.django_env import ROOT
from bench.timing import Budget, percentile

PATHS = {
    "subscriber_lookup.email",
    "subscriber_lookup.subscriber_id",
    "subscriber_lookup.phone",
    "subscriber_lookup.name",
    "subscriber_lookup.email_part",
    "subscriber_lookup.billing_id",
    "line_lookup.4",
    "line_lookup.6",
    "line_lookup.8",
    "browse.first",
    "browse.filtered",
    "browse.area_type",
    "numbers.assign",
    "numbers.unassign",
    "numbers.assign.transaction",
    "numbers.unassign.transaction",
    "subscribers.create",
}


def run_on_the_smallest_set(module: str, tmp_path, *options):
    """`python -m module` on the 10k SQLite set (built in `tmp_path`), as a
    developer runs it: without the test run's csrtool settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CSRTOOL_")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            module,
            "--sizes=10k",
            "--databases=sqlite",
            f"--cache-dir={tmp_path / 'cache'}",
            *options,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def test_every_benchmark_path_runs_and_agrees_with_its_ceiling(tmp_path):
    out = tmp_path / "run.json"
    run_on_the_smallest_set(
        "bench",
        tmp_path,
        "--no-load",
        "--no-import",
        "--seconds=0.05",
        "--docs=no",
        f"--out={out}",
    )
    paths = json.loads(out.read_text())["runs"]["sqlite"]["10k"]["paths"]
    assert set(paths) == PATHS
    for key, entry in paths.items():
        assert entry["product"]["n"] > 0, key
        assert entry["ceiling"]["n"] > 0, key
        if entry.get("agree") is not None:
            assert entry["agree"] == 1.0, key


def test_every_timed_page_answers_on_the_smallest_data_set(tmp_path):
    completed = run_on_the_smallest_set("bench.pages", tmp_path)
    assert "Home (dashboard) (CSR)" in completed.stdout
    assert "API: audit events (partner admin)" in completed.stdout
    assert "Portal: an area's numbers (subscriber)" in completed.stdout


def test_a_path_is_timed_often_enough_for_its_p99_not_to_be_its_slowest_call():
    budget = Budget()
    # Past its seconds, a path whose ceiling is slow keeps going to 100 pairs,
    # of which the nearest-rank p99 is the second slowest.
    assert not budget.done(60, budget.seconds + 1)
    assert budget.done(100, budget.seconds + 1)
    assert percentile([*range(98), 1000, 2000], 99) == 1000
    # A path that scans stops after five times its seconds all the same.
    assert budget.done(5, 5 * budget.seconds)
