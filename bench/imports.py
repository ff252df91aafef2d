"""Bulk number import through its two synchronous doors, end to end (preview
included), against a raw bulk insert of as many rows.

    python -m bench.imports --database-url URL --rows 100000 --fixtures F --out F

- CLI: `csrtool numbers import FILE --partner P --json`, one process per file;
- API: `POST /api/v1/numbers/import` with the CSV as body, in a process of its
  own that sends every file through Django's whole WSGI handler, the body read
  from the file as the server reads it;
- ceiling: the same kind of rows inserted raw, 10,000 per transaction
  (executemany on SQLite, COPY on PostgreSQL), search index kept in sync.

Files are as large as each door takes (the product caps a file's rows, and the
API a request's body). A door stops after the file that takes it past the time
budget (--budget, 150 s: a door at the goal's 10,000 rows/s imports a million
rows within it); rows per second count the files sent. Peak memory is each
door's process at its largest (Linux ru_maxrss), so files of 10k, 100k and
200k rows show whether memory grows with the file.
"""

import argparse
import json
import os
import shutil
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


def _files(folder: Path, block: str, rows: int, per_file: int) -> list:
    """(path, rows) of the files a door gets, `per_file` rows each at most."""
    files = []
    for n, start in enumerate(range(0, rows, per_file)):
        path = folder / f"{block}-{n:03d}.csv"
        count = min(per_file, rows - start)
        path.write_text(_csv(block, start, count))
        files.append((path, count))
    return files


def _child(command: list[str], env) -> tuple[float, int, str]:
    """Run a child to the end: (seconds, peak RSS in KiB, standard output)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env=env, cwd=django_env.ROOT
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command[2:5])} failed:\n{problem[-2000:]}")
    return elapsed, usage.ru_maxrss, text


def cli(database_url, files, partner, budget: float) -> dict:
    """One `csrtool numbers import` per file, until the time budget is spent."""
    env = django_env.child_environment(database_url)
    seconds, peak, added, done = 0.0, 0, 0, 0
    for path in files:
        command = [sys.executable, "-m", "csrtool", "numbers", "import", str(path)]
        elapsed, rss, out = _child(command + ["--partner", partner, "--json"], env)
        seconds += elapsed
        peak = max(peak, rss)
        added += json.loads(out)["added"]
        done += 1
        if seconds >= budget:
            break
    return {
        "seconds": seconds,
        "peak_rss_mib": peak / 1024,
        "added": added,
        "done": done,
    }


def api(database_url, files, key, budget: float) -> dict:
    env = django_env.child_environment(database_url)
    command = [sys.executable, "-m", "bench.imports", "--post", key]
    command += ["--budget", str(budget), "--database-url", database_url]
    elapsed, rss, out = _child(command + [str(path) for path in files], env)
    result = json.loads(out.splitlines()[-1])
    return {
        "seconds": result["seconds"],
        "wall_seconds": elapsed,
        "peak_rss_mib": rss / 1024,
        "added": result["added"],
        "done": result["done"],
    }


def post_files(key: str, files: list[str], budget: float) -> None:
    """In a process of its own: send each file to the API until the time
    budget is spent, print the totals.

    Each request goes through Django's whole WSGI handler, its body read from
    the file as the server reads it (as a server hands over a socket), so the
    process's peak memory is the server's, not a copy of the file the client
    holds."""
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    status = []

    def start_response(line, headers, *exc_info):
        status.append(line)

    added, seconds, done = 0, 0.0, 0
    for name in files:
        path = Path(name)
        with path.open("rb") as body:
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/api/v1/numbers/import",
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1",
                "HTTP_AUTHORIZATION": f"Bearer {key}",
                "CONTENT_TYPE": "text/csv",
                "CONTENT_LENGTH": str(path.stat().st_size),
                "wsgi.input": body,
                "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http",
                "wsgi.version": (1, 0),
                "wsgi.multithread": False,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
            }
            started = time.perf_counter()
            content = b"".join(handler(environ, start_response))
            seconds += time.perf_counter() - started
        if not status[-1].startswith("200"):
            raise SystemExit(f"{name}: {status[-1]} {content[:500]!r}")
        added += json.loads(content)["added"]
        done += 1
        if seconds >= budget:
            break
    print(json.dumps({"seconds": seconds, "added": added, "done": done}))


def _sqlite_insert(raw, columns: str, batch: list) -> None:
    """One chunk the fastest raw way that keeps the search index whole: the
    FTS5 sync triggers lifted, the rows inserted, their index entries added
    in one INSERT … SELECT, the triggers put back, all in one transaction."""
    from bench.load import search_indexes

    table = "numberpool_phonenumber"
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    fts, triggers = search_indexes(cursor, table)
    (last,) = cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()  # noqa: S608
    for name, _ in triggers:
        cursor.execute(f'DROP TRIGGER "{name}"')
    marks = ", ".join("?" * len(batch[0]))
    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", batch)  # noqa: S608
    for name in fts:
        indexed = [row[1] for row in cursor.execute(f'PRAGMA table_info("{name}")')]
        names = ", ".join(indexed)
        cursor.execute(
            f'INSERT INTO "{name}"(rowid, {names}) '  # noqa: S608
            f"SELECT id, {names} FROM {table} WHERE id > ?",
            [last],
        )
    for _, sql in triggers:
        cursor.execute(sql)
    cursor.execute("COMMIT")


def ceiling(partner_slug: str, block: str, rows: int) -> dict:
    """Raw bulk insert of `rows` numbers, 10,000 per transaction (executemany
    on SQLite, COPY on PostgreSQL), every index and search index kept."""
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
            _sqlite_insert(raw, columns, batch)
        else:
            with raw.transaction(), raw.cursor() as cursor:
                sql = f"COPY numberpool_phonenumber ({columns}) FROM STDIN"
                with cursor.copy(sql) as copy:
                    for row in batch:
                        copy.write_row(row)
    return {"seconds": time.perf_counter() - started, "added": rows}


def run(database_url: str, rows: int, fixtures: dict, budget: float) -> dict:
    """Both doors and the ceiling, in this order; needs Django set up here."""
    from django.conf import settings

    from csrtool.numberpool.imports import MAX_ROWS

    folder = Path(tempfile.mkdtemp(prefix="csrtool-import-"))
    # The API refuses a body over Django's upload limit: files for it stay
    # a little under, as a client would cut them.
    line = len(_csv("800", 0, 1).splitlines()[1]) + 1
    body_rows = int((settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 10**12) * 0.98) // line
    sizes = {"cli": MAX_ROWS, "api": min(MAX_ROWS, body_rows)}
    results = {"rows": rows, "budget_seconds": budget}
    try:
        for door in ("cli", "api"):
            results[door] = _door(
                door, database_url, folder, rows, sizes, fixtures, budget
            )
        # A rate, not a total: 200,000 rows tell it as well as a million.
        best = ceiling(
            fixtures["partner"], dataset.IMPORT_BLOCKS["ceiling"], min(rows, 200_000)
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best["rows_s"] = best["added"] / best["seconds"]
    results["ceiling"] = best
    for door in ("cli", "api"):
        if "rows_s" in results[door]:
            results[door]["share_of_ceiling"] = results[door]["rows_s"] / best["rows_s"]
    return results


def _door(door, database_url, folder, rows, sizes, fixtures, budget) -> dict:
    """One door's import of the files (all of them, or as many as the time
    budget allows); a failure is a figure too."""
    files = _files(folder, dataset.IMPORT_BLOCKS[door], rows, sizes[door])
    paths = [path for path, _ in files]
    try:
        if door == "cli":
            result = cli(database_url, paths, fixtures["partner"], budget)
        else:
            result = api(database_url, paths, fixtures["admin_api_key"], budget)
    except RuntimeError as e:
        return {"error": str(e)[-1000:]}
    finally:
        for path in paths:
            path.unlink()
    sent = sum(count for _, count in files[: result["done"]])
    result.update(files=len(files), rows_per_file=files[0][1], rows_sent=sent)
    result["rows_s"] = result["added"] / result["seconds"]
    if result["added"] != sent:
        result["error"] = f"added {result['added']:,} of {sent:,} rows"
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--fixtures")
    parser.add_argument("--out")
    parser.add_argument("--budget", type=float, default=150.0)
    parser.add_argument("--post", metavar="API_KEY", help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    django_env.setup(args.database_url)
    if args.post:
        post_files(args.post, args.files, args.budget)
        return
    fixtures = json.loads(Path(args.fixtures).read_text())["fixtures"]
    results = run(args.database_url, args.rows, fixtures, args.budget)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
