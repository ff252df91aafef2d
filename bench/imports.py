"""Bulk number import through its two synchronous doors, end to end (preview
included), against a raw bulk insert of as many rows.

    python -m bench.imports --database-url URL --rows 100000 --fixtures F --out F

- CLI: `csrtool numbers import FILE --partner P --json`, one process per file;
- API: `POST /api/v1/numbers/import` with the CSV as body, in a process of its
  own that sends every file through Django's whole request path;
- ceiling: the same kind of rows inserted raw, 10,000 per transaction
  (executemany on SQLite, COPY on PostgreSQL), search index kept in sync.

Files are as large as each door takes (the product caps a file's rows, and the
API a request's body); rows per second count all files, peak memory is each
door's process at its largest (Linux ru_maxrss), so files of 10k and 100k rows
show whether memory grows with the file.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import dataset, django_env


def _csv(block: str, start: int, count: int) -> str:
    lines = ["number,dnis,type,country_code,area_code,subscriber_id"]
    for n in range(start, start + count):
        national = f"{block}{2_000_000 + n:07d}"
        lines.append(f"+1{national},{national},tollfree,1,{block},")
    return "\n".join(lines) + "\n"


def _files(folder: Path, block: str, rows: int, per_file: int) -> list[Path]:
    files = []
    for n, start in enumerate(range(0, rows, per_file)):
        path = folder / f"{block}-{n:03d}.csv"
        path.write_text(_csv(block, start, min(per_file, rows - start)))
        files.append(path)
    return files


def _child(command: list[str], env) -> tuple[float, int, str]:
    """Run a child to the end: (seconds, peak RSS in KiB, standard output)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=django_env.ROOT
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[2:5]} failed:\n{text[-2000:]}")
    return elapsed, usage.ru_maxrss, text


def cli(database_url, files, partner) -> dict:
    env = django_env.child_environment(database_url)
    seconds, peak, added = 0.0, 0, 0
    for path in files:
        command = [sys.executable, "-m", "csrtool", "numbers", "import", str(path)]
        elapsed, rss, out = _child(command + ["--partner", partner, "--json"], env)
        seconds += elapsed
        peak = max(peak, rss)
        added += json.loads(out)["added"]
    return {"seconds": seconds, "peak_rss_mib": peak / 1024, "added": added}


def api(database_url, files, key) -> dict:
    env = django_env.child_environment(database_url)
    command = [sys.executable, "-m", "bench.imports", "--post", key, "--database-url"]
    elapsed, rss, out = _child(command + [database_url, *map(str, files)], env)
    result = json.loads(out.splitlines()[-1])
    return {
        "seconds": result["seconds"],
        "wall_seconds": elapsed,
        "peak_rss_mib": rss / 1024,
        "added": result["added"],
    }


def post_files(key: str, files: list[str]) -> None:
    """In a process of its own: send each file to the API, print the totals."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {key}")
    added, seconds = 0, 0.0
    for name in files:
        body = Path(name).read_bytes()
        started = time.perf_counter()
        answer = client.post(
            "/api/v1/numbers/import", data=body, content_type="text/csv"
        )
        seconds += time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"{name}: {answer.status_code} {answer.content[:500]!r}")
        added += answer.json()["added"]
    print(json.dumps({"seconds": seconds, "added": added}))


def ceiling(partner_slug: str, block: str, rows: int) -> dict:
    """Raw bulk insert of `rows` numbers, 10,000 per transaction."""
    from django.db import connection

    from csrtool.partners.models import Partner

    partner = Partner.objects.get(slug=partner_slug).pk
    stamp = connection.ops.adapt_datetimefield_value(dataset.EPOCH)
    columns = "partner_id, number, dnis, number_type, country_code, area_code, "
    columns += "status, created_at, updated_at"
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    for low in range(0, rows, 10_000):
        batch = [
            (
                partner,
                f"+1{block}{2_000_000 + n:07d}",
                f"{block}{2_000_000 + n:07d}",
                "tollfree",
                "1",
                block,
                "available",
                stamp,
                stamp,
            )
            for n in range(low, min(rows, low + 10_000))
        ]
        if connection.vendor == "sqlite":
            raw.execute("BEGIN")
            raw.executemany(
                f"INSERT INTO numberpool_phonenumber ({columns}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            raw.execute("COMMIT")
        else:
            with raw.transaction(), raw.cursor() as cursor:
                sql = f"COPY numberpool_phonenumber ({columns}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in batch:
                        copy.write_row(row)
    return {"seconds": time.perf_counter() - started, "added": rows}


def run(database_url: str, rows: int, fixtures: dict) -> dict:
    """Both doors and the ceiling, in this order; needs Django set up here."""
    from django.conf import settings

    from csrtool.numberpool.imports import MAX_ROWS

    folder = Path(tempfile.mkdtemp(prefix="csrtool-import-"))
    line = len(_csv("800", 0, 1).splitlines()[1]) + 1
    body_rows = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 10**12) // line - 1
    sizes = {"cli": MAX_ROWS, "api": min(MAX_ROWS, body_rows)}
    results = {"rows": rows}
    for door in ("cli", "api"):
        files = _files(folder, dataset.IMPORT_BLOCKS[door], rows, sizes[door])
        if door == "cli":
            result = cli(database_url, files, fixtures["partner"])
        else:
            result = api(database_url, files, fixtures["admin_api_key"])
        for path in files:
            path.unlink()
        result.update(files=len(files), rows_per_file=min(rows, sizes[door]))
        result["rows_s"] = result["added"] / result["seconds"]
        if result["added"] != rows:
            raise RuntimeError(f"{door} import added {result['added']} of {rows} rows")
        results[door] = result
    best = ceiling(fixtures["partner"], dataset.IMPORT_BLOCKS["ceiling"], rows)
    best["rows_s"] = rows / best["seconds"]
    results["ceiling"] = best
    for door in ("cli", "api"):
        results[door]["share_of_ceiling"] = results[door]["rows_s"] / best["rows_s"]
    folder.rmdir()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--fixtures")
    parser.add_argument("--out")
    parser.add_argument("--post", metavar="API_KEY", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    django_env.setup(args.database_url)
    if args.post:
        post_files(args.post, args.files)
        return
    fixtures = json.loads(Path(args.fixtures).read_text())["fixtures"]
    results = run(args.database_url, args.rows, fixtures)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
