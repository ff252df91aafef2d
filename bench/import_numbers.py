"""Bulk number import figures, printed; run by hand, not by the test suite.

    python bench/import_numbers.py [--rows 100000] [--database-url postgresql://…]

Times the preview (parse, field checks, one existence query per chunk), the
import (chunked bulk inserts with one audit event per chunk), a second import of
the same file (everything already present), preview and import in one go (as
the CLI and the API do) and the export, in rows per second of wall-clock time
and of this process's CPU time (steadier on a busy machine).
Uses a throw-away data directory (or the given database).
"""

import argparse
import time

import harness


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    partner, stamp = harness.start(args.database_url)
    from csrtool.numberpool.exports import export_numbers
    from csrtool.numberpool.imports import import_numbers, preview_import, run_import
    from csrtool.partners.access import cli_actor

    actor = cli_actor()
    base = 2_000_000 + int(stamp) % 5_000_000
    lines = ["number,dnis,type,country_code,area_code,subscriber_id"]
    lines += [
        f"+1800{base + n:07d},800{base + n:07d},tollfree,1,800,"
        for n in range(args.rows)
    ]
    text = "\n".join(lines) + "\n"

    def timed(label, func):
        started, cpu = time.perf_counter(), time.process_time()
        result = func()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        print(
            f"{label:<28} {elapsed:7.2f} s  {args.rows / elapsed:9,.0f} rows/s"
            f"  (CPU {cpu:6.2f} s, {args.rows / cpu:9,.0f} rows/s)"
        )
        return result

    job = timed(
        "preview", lambda: preview_import(actor=actor, text=text, partner=partner)
    )
    timed("import", lambda: run_import(actor=actor, import_id=job.pk))
    again = timed(
        "preview again (all present)",
        lambda: preview_import(actor=actor, text=text, partner=partner),
    )
    timed("import again", lambda: run_import(actor=actor, import_id=again.pk))
    other = (
        text.replace("tollfree,1,800,", "tollfree,1,888,")
        .replace("+1800", "+1888")
        .replace(",800", ",888")
    )
    timed(
        "CLI/API path, new block",
        lambda: import_numbers(actor=actor, text=other, partner=partner),
    )
    timed(
        "export",
        lambda: sum(1 for _ in export_numbers(actor=actor, partner=partner)),
    )


if __name__ == "__main__":
    main()
