"""Timing a product path and its ceiling interleaved, and summarising samples.

Interleaving (product, ceiling, ceiling, product, …) puts both under the same
machine at the same moment: on a shared 2-core VM a noisy neighbour slows both,
and the ratio between them holds up much better than either figure alone.
"""

import math
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted samples."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Series:
    """Durations in seconds of one side (product or ceiling) of a path."""

    samples: list[float] = field(default_factory=list)
    peak_kib: float | None = None
    queries: int | None = None

    def summary(self) -> dict:
        if not self.samples:
            return {"n": 0}
        total = sum(self.samples)
        return {
            "n": len(self.samples),
            "p50_ms": statistics.median(self.samples) * 1000,
            "p99_ms": percentile(self.samples, 99) * 1000,
            "mean_ms": total / len(self.samples) * 1000,
            "ops_s": len(self.samples) / total if total else None,
            "peak_kib": self.peak_kib,
            "queries": self.queries,
        }


@dataclass
class Budget:
    """How long a path may run: until `samples` pairs or `seconds` of wall time,
    but never fewer than `minimum` pairs (of fewer than a hundred samples, the
    nearest-rank p99 is the slowest one: a path whose ceiling is slow still
    gets a p99), unless it has run five times `seconds` and has `floor` pairs
    (a path that scans a million rows shows it in five calls as well as in a
    hundred)."""

    seconds: float = 3.0
    samples: int = 400
    minimum: int = 100
    floor: int = 5

    def done(self, pairs: int, elapsed: float) -> bool:
        return (
            pairs >= self.samples
            or (elapsed >= self.seconds and pairs >= self.minimum)
            or (elapsed >= 5 * self.seconds and pairs >= self.floor)
        )


def _timed(func, arg) -> float:
    started = time.perf_counter()
    func(arg)
    return time.perf_counter() - started


def interleaved(pairs: list, inputs: list, budget: Budget) -> list:
    """Run each (product, ceiling) pair on the inputs in turn, alternating which
    of the two goes first; pairs after the first follow it on the same input
    (unassign after assign). Returns a (product, ceiling) Series per pair."""
    series = [(Series(), Series()) for _ in pairs]
    started = time.perf_counter()
    i = 0
    while True:
        arg = inputs[i % len(inputs)]
        for (product, ceiling), (mine, best) in zip(pairs, series, strict=True):
            if i % 2 == 0:
                mine.samples.append(_timed(product, arg))
                best.samples.append(_timed(ceiling, arg))
            else:
                best.samples.append(_timed(ceiling, arg))
                mine.samples.append(_timed(product, arg))
        i += 1
        if budget.done(i, time.perf_counter() - started):
            return series


def peak_memory_kib(func, inputs: list, calls: int = 5) -> float:
    """The most memory one call allocated on top of what was live before it
    (Python allocations, traced; not timed)."""
    tracemalloc.start()
    try:
        worst = 0
        for arg in inputs[:calls]:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            func(arg)
            worst = max(worst, tracemalloc.get_traced_memory()[1] - before)
    finally:
        tracemalloc.stop()
    return worst / 1024


def ratio(product: dict, ceiling: dict) -> dict:
    """How far the product is from its ceiling: latency ×, and share of the rate."""
    if not product.get("n") or not ceiling.get("n"):
        return {}
    return {
        "p50_x": product["p50_ms"] / ceiling["p50_ms"],
        "p99_x": product["p99_ms"] / ceiling["p99_ms"],
        "rate_share": product["ops_s"] / ceiling["ops_s"],
    }
