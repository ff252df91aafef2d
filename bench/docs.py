"""The figures part of BENCHMARKS.md, the chart beside it, and their JSON.

Only the text between the two markers is the suite's; everything around it
(how to reproduce, what the figures mean, profiles) is written by hand.
"""

from datetime import datetime

from bench import chart, django_env, report

ROOT = django_env.ROOT
DOCUMENT = ROOT / "BENCHMARKS.md"
CHART = ROOT / "bench" / "p99-by-size.svg"
FIGURES = ROOT / "bench" / "results" / "benchmarks.json"
START = "<!-- figures: written by `python -m bench`; edit outside these markers -->"
END = "<!-- end of figures -->"


def _machine(output: dict) -> str:
    m = output["machine"]
    pg = m.get("postgresql", {})
    share = m.get("sharing", {})
    rows = [
        ["CPU", f"{m['cpu']}, {m['cores']} cores"],
        ["memory", f"{m['memory_gib']} GiB"],
        ["system", f"{m['os']}, Linux {m['kernel']}"],
        ["Python / SQLite", f"{m['python']} / {m['sqlite']}"],
        [
            "PostgreSQL",
            f"{pg.get('version', '–')} (shared_buffers {pg.get('shared_buffers', '–')},"
            f" synchronous_commit {pg.get('synchronous_commit', '–')}), loopback TCP",
        ],
        [
            "Django / gunicorn / psycopg",
            f"{m['django']} / {m['gunicorn']} / {m['psycopg']}",
        ],
        ["wrk", m["wrk"]],
    ]
    if share:
        rows.append(
            [
                "sharing",
                f"machine busy {share['machine_busy_cores']:.2f} of "
                f"{share['cores']} cores on average, of which this suite "
                f"{share['suite_cores']:.2f}, everything else (PostgreSQL's server "
                f"processes included) {share['others_cores']:.2f}; load average "
                f"{share['load_average_start'][0]:.1f} at the start, "
                f"{share['load_average_end'][0]:.1f} at the end",
            ]
        )
    return report.markdown_table(["", ""], rows)


def figures(output: dict, goals: list) -> str:
    started = datetime.fromisoformat(output["started"])
    parts = [
        START,
        "",
        f"Run of {started:%Y-%m-%d %H:%M} UTC: `{output['command'].strip()}`, "
        f"{output['seconds'] / 60:.1f} minutes from start to end "
        "(data sets built where the cache did not hold them).",
        "",
        _machine(output),
        "",
        f"### Goals, at {output['sizes'][-1]}",
        "",
        report.markdown_table(report.GOAL_HEADER, goals),
        "",
        "### p99 against data size",
        "",
        "![p99 of every lookup at 10k, 100k and 1M rows, SQLite and PostgreSQL]"
        "(bench/p99-by-size.svg)",
    ]
    for db, sizes in output["runs"].items():
        for size, result in sizes.items():
            built = result.get("build_seconds")
            parts += [
                "",
                f"### {report.DATABASES[db]}, {size}",
                "",
                f"Data set {report.origin(built)}"
                f"; this size took {result['seconds']:.0f} s in all.",
                "",
                report.markdown_table(
                    report.PATH_HEADER, report.path_rows(result.get("paths", {}))
                ),
            ]
            if result.get("http"):
                parts += [
                    "",
                    "Load run (`wrk -t2 -c16`, "
                    f"{result['http']['settings']['seconds']} s per target after "
                    f"{result['http']['settings']['warmup']} s of warm-up; then "
                    f"{result['http']['settings'].get('workers', 2)} connections, "
                    "one per worker, for as long):",
                    "",
                    report.markdown_table(
                        report.HTTP_HEADER, report.http_rows(result["http"])
                    ),
                ]
            if result.get("imports"):
                parts += [
                    "",
                    "Bulk import:",
                    "",
                    report.markdown_table(
                        report.IMPORT_HEADER, report.import_rows(result["imports"])
                    ),
                ]
    parts += ["", END]
    return "\n".join(parts)


def write(output: dict, goals: list) -> None:
    import json

    block = figures(output, goals)
    if DOCUMENT.exists():
        text = DOCUMENT.read_text()
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        text = head + block + tail
    else:
        text = "# Benchmarks\n\n" + block + "\n"
    DOCUMENT.write_text(text)
    CHART.write_text(chart.svg(output["runs"], output["sizes"]))
    FIGURES.parent.mkdir(exist_ok=True)
    FIGURES.write_text(json.dumps(output, indent=1, default=str) + "\n")
