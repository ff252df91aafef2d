"""Figures as tables (console and Markdown) and the goals of the "instant at a
million" work checked against them."""

DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
EXACT = ["subscriber_lookup.email", "subscriber_lookup.subscriber_id"]
EXACT += ["subscriber_lookup.phone"]
PARTIAL = ["subscriber_lookup.name", "subscriber_lookup.email_part"]
PARTIAL += ["subscriber_lookup.billing_id"]
NUMBERS = ["line_lookup.4", "line_lookup.6", "line_lookup.8"]
BROWSE = ["browse.first", "browse.filtered", "browse.area_type"]
LOOKUPS = EXACT + PARTIAL + NUMBERS + BROWSE


def origin(built: float | None) -> str:
    """Where a run's data set came from."""
    return f"built in {built:.0f} s" if built else "from the cache"


def _ms(value) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _short(entry: dict) -> str:
    return " ".join(str(entry.get("error", "")).split())[-160:].replace("|", "/")


def _rate(value) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _x(value) -> str:
    return "–" if value is None else f"{value:,.1f}×"


def path_rows(paths: dict) -> list[list[str]]:
    rows = []
    for entry in paths.values():
        p, c, r = entry["product"], entry["ceiling"], entry.get("ratio", {})
        rows.append(
            [
                entry["label"],
                _ms(p.get("p50_ms")),
                _ms(p.get("p99_ms")),
                _rate(p.get("ops_s")),
                _ms(c.get("p50_ms")),
                _ms(c.get("p99_ms")),
                _rate(c.get("ops_s")),
                _x(r.get("p50_x")),
                f"{r['rate_share']:.0%}" if r.get("rate_share") else "–",
                "–" if p.get("peak_kib") is None else f"{p['peak_kib']:,.0f}",
                str(p.get("queries") or "–"),
                str(p.get("n", 0)),
            ]
        )
    return rows


PATH_HEADER = [
    "path",
    "p50 ms",
    "p99 ms",
    "ops/s",
    "ceiling p50",
    "ceiling p99",
    "ceiling ops/s",
    "p50 ÷ ceiling",
    "rate vs ceiling",
    "peak KiB",
    "queries",
    "n",
]


def http_rows(http: dict) -> list[list[str]]:
    rows = []
    if "error" in http or "skipped" in http:
        reason = "failed: " + _short(http) if "error" in http else http["skipped"]
        return [["load run", reason, "–", "–", "–", "–"]]
    for key, entry in http.items():
        if not isinstance(entry, dict) or "req_s" not in entry:
            continue
        share = entry.get("share_of_bare")
        alone = entry.get("per_worker") or {}
        rows.append(
            [
                entry["label"] + (" (again, after)" if key.endswith("_after") else ""),
                _rate(entry["req_s"]),
                _ms(entry["p50_ms"]),
                _ms(entry["p99_ms"]),
                f"{entry['errors']} / {entry['requests']:,}",
                "–" if share is None else f"{share:.0%}",
                _ms(alone.get("p50_ms")),
                _ms(alone.get("p99_ms")),
            ]
        )
    return rows


HTTP_HEADER = [
    "target",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "vs bare view",
    "p50 ms, a connection per worker",
    "p99 ms, a connection per worker",
]


def import_rows(imports: dict) -> list[list[str]]:
    if "rows" not in imports:
        return [["bulk import", "failed: " + _short(imports)] + ["–"] * 5]
    rows = []
    for door, label in (
        ("cli", "CLI `numbers import`"),
        ("api", "API `POST /numbers/import`"),
        ("ceiling", "raw bulk insert (ceiling)"),
    ):
        entry = imports.get(door)
        if not entry:
            continue
        if "rows_s" not in entry:
            rows.append([label, f"{imports['rows']:,}", "failed: " + _short(entry)])
            rows[-1] += ["–"] * (len(IMPORT_HEADER) - 3)
            continue
        share = entry.get("share_of_ceiling")
        files = "–"
        if "files" in entry:
            files = f"{entry['files']} × {entry['rows_per_file']:,}"
            if entry["done"] < entry["files"]:
                files = f"{entry['done']} of {files} (time budget)"
        rows.append(
            [
                label,
                f"{entry.get('rows_sent', entry['added']):,}",
                files,
                f"{entry['seconds']:.1f}",
                _rate(entry["rows_s"]),
                "–" if share is None else f"{share:.0%}",
                "–" if "peak_rss_mib" not in entry else f"{entry['peak_rss_mib']:.0f}",
            ]
        )
    return rows


IMPORT_HEADER = [
    "door",
    "rows",
    "files × rows",
    "seconds",
    "rows/s",
    "vs ceiling",
    "peak RSS MiB",
]


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("| " + " | ".join("---" for _ in header) + " |")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def console_table(header, rows) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    for row in rows:
        out.append(
            "  ".join(
                (c.ljust(w) if i == 0 else c.rjust(w))
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(out)


def _verdict(ok) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def goals(runs: dict, largest: str, smallest: str) -> list[list[str]]:
    """Issue 9's goals, each checked against the figures of this run."""
    rows = []
    for db, sizes in runs.items():
        top = sizes.get(largest, {})
        paths = top.get("paths", {})
        name = DATABASES[db]

        def p99(key, paths=paths):
            return paths.get(key, {}).get("product", {}).get("p99_ms")

        def add(goal, figure, ok, name=name):
            rows.append([goal, name, figure, _verdict(ok)])

        for key in EXACT:
            if key in paths:
                x = paths[key]["ratio"].get("p50_x")
                add(
                    f"{paths[key]['label']}: p99 ≤ 2 ms, ≤ 3× raw",
                    f"p99 {_ms(p99(key))} ms, {_x(x)} raw",
                    p99(key) <= 2 and x is not None and x <= 3,
                )
        for keys, limit in ((PARTIAL, 20), (NUMBERS, 10), (BROWSE, 10)):
            for key in keys:
                if key in paths:
                    add(
                        f"{paths[key]['label']}: p99 ≤ {limit} ms",
                        f"p99 {_ms(p99(key))} ms",
                        p99(key) <= limit,
                    )
        for key in ("numbers.assign", "numbers.unassign"):
            if key in paths:
                share = paths[key]["ratio"].get("rate_share")
                add(
                    f"{paths[key]['label']}: ≥ 50 % of the conditional UPDATE's rate",
                    f"{share:.0%}" if share else "–",
                    share is not None and share >= 0.5,
                )
        imports = top.get("imports") or {}
        for door in ("cli", "api"):
            if door in imports and "rows_s" not in imports[door]:
                add(
                    f"bulk import via {door.upper()}: ≥ 10,000 rows/s",
                    "failed: " + _short(imports[door]),
                    False,
                )
            elif door in imports:
                rate = imports[door]["rows_s"]
                add(
                    f"bulk import via {door.upper()}, "
                    f"{imports[door]['rows_sent']:,} of {imports['rows']:,} rows: "
                    "≥ 10,000 rows/s",
                    f"{rate:,.0f} rows/s, peak {imports[door]['peak_rss_mib']:.0f} MiB",
                    rate >= 10_000,
                )
        small = sizes.get(smallest, {}).get("imports") or {}
        for door in ("cli", "api"):
            if largest == smallest or "rows_s" not in imports.get(door, {}):
                continue
            if "rows_s" not in small.get(door, {}):
                continue
            low, high = small[door], imports[door]
            # Flat: the largest file's peak within 10 % of the smallest's.
            add(
                f"bulk import via {door.upper()}: peak memory flat in the file size",
                f"{low['peak_rss_mib']:.0f} MiB for a file of "
                f"{low['rows_per_file']:,} rows, {high['peak_rss_mib']:.0f} MiB "
                f"for {high['rows_per_file']:,}",
                high["peak_rss_mib"] <= low["peak_rss_mib"] * 1.1,
            )
        http = top.get("http") or {}
        for key in ("lookup_page", "line_lookup_page"):
            if key in http:
                # A request's own latency: a connection per worker, none queued
                # behind another (at full load p99 is mostly the queue's).
                alone = http[key].get("per_worker") or {}
                late, loaded = alone.get("p99_ms"), http[key]["p99_ms"]
                add(
                    f"{http[key]['label']}: p99 ≤ 50 ms",
                    "no answer within 5 s"
                    if late is None
                    else f"p99 {_ms(late)} ms a connection per worker "
                    f"({_ms(loaded)} ms at full load)",
                    late is not None and late <= 50,
                )
        if "api_lookup" in http and "share_of_bare" in http["api_lookup"]:
            share = http["api_lookup"]["share_of_bare"]
            add(
                "API lookup: ≥ 50 % of the bare view's throughput",
                f"{share:.0%}",
                share >= 0.5,
            )
        low = sizes.get(smallest, {}).get("paths", {})
        if largest != smallest and low:
            worst, worst_key = 0.0, None
            for key in LOOKUPS:
                if key in paths and key in low:
                    growth = p99(key) / low[key]["product"]["p99_ms"]
                    if growth > worst:
                        worst, worst_key = growth, key
            if worst_key:
                add(
                    f"growth {smallest} → {largest}: every lookup's p99 ≤ 2×",
                    f"worst {_x(worst)} ({paths[worst_key]['label']})",
                    worst <= 2,
                )
    return rows


GOAL_HEADER = ["goal", "database", "figure", "verdict"]
