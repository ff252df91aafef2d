"""The load run: `csrtool serve` on loopback, driven by wrk from another process.

The server runs the product's settings with the benchmark's URLs on top
(`bench.settings`), so the bare view shares the server, its workers and its
middleware with the pages and API it is compared with. Every target is checked
once by hand first (a signed-in page that redirected to the login form would
otherwise be timed as a fast page), then warmed up and loaded for a bounded time.
"""

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench import django_env

# The bare view's path (see bench/urls.py), served under bench.settings only.
BARE_PATH = "bench/bare-lookup"
# gunicorn's sync workers: one per core, as `csrtool serve` starts by default.
SERVER_WORKERS = os.cpu_count() or 2

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect_errors": %d, '
    .. '"read_errors": %d, "write_errors": %d, "status_errors": %d, '
    .. '"timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def _lua_strings(values) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def _get_script(paths: list[str], headers: dict) -> str:
    return (
        f"local paths = {_lua_strings(paths)}\n"
        f"local headers = {{{_lua_headers(headers)}}}\n"
        "init = function(args) math.randomseed(os.time() + (tonumber("
        "tostring({}):sub(8), 16) or 0)) end\n"
        "request = function()\n"
        '  return wrk.format("GET", paths[math.random(#paths)], headers)\n'
        "end\n" + _DONE
    )


def _lua_headers(headers: dict) -> str:
    return ",".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())


def _create_script(headers: dict) -> str:
    """A new subscriber on every request: unique per wrk run (its start time),
    per thread and per request."""
    return (
        f"local headers = {{{_lua_headers(headers)}}}\n"
        "local counter = 0\n"
        "local threads = 0\n"
        "local run = 0\n"
        "setup = function(thread) threads = threads + 1; "
        'thread:set("thread_tag", tostring(threads)) end\n'
        "init = function(args) run = os.time() end\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local tag = run .. '-' .. (thread_tag or '0')\n"
        '  local body = string.format(\'{"first_name": "Load", '
        '"last_name": "Run%d", "email": "load.%s.%d@example.com", '
        '"phone": "+1212555%04d", "billing_id": "LR-%s-%d"}\', counter, '
        "tag, counter, counter % 10000, tag, counter)\n"
        '  return wrk.format("POST", "/api/v1/subscribers", headers, body)\n'
        "end\n" + _DONE
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`csrtool serve` on 127.0.0.1, started and stopped by its process id."""

    def __init__(self, database_url: str, log: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = django_env.child_environment(
            database_url, port=self.port, settings="bench.settings"
        )
        self.log = open(log, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "csrtool", "serve", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--no-worker"]
            + ["--workers", str(SERVER_WORKERS)],
            cwd=django_env.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,  # gunicorn's access log, a line a request
            stderr=self.log,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=2).read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"csrtool serve did not start; see {log}"
                    ) from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def sign_in(self, email: str, password: str) -> str:
        """Sign in through the login form; returns the session cookie header."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{self.base}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        form = urllib.parse.urlencode(
            {
                "username": email,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            }
        ).encode()
        opener.open(f"{self.base}/login/", data=form).read()
        cookies = {cookie.name: cookie.value for cookie in jar}
        if "sessionid" not in cookies:
            raise RuntimeError("signing in to the load-run server failed")
        return "; ".join(f"{k}={v}" for k, v in cookies.items())

    def drain(self, limit: float = 300) -> None:
        """Wait until the server answers at once again: requests wrk gave up on
        stay queued at the workers and would slow the next target."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=limit).read()
            except OSError:
                continue
            if time.monotonic() - started < 0.5:
                return

    def check(self, path: str, headers: dict, expect: str, body=None) -> None:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers=headers,
            method="POST" if body else "GET",
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                text = answer.read().decode()
                final = answer.geturl()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{path} answered {e.code}") from None
        if urllib.parse.urlsplit(final).path.startswith("/login"):
            raise RuntimeError(f"{path} sent the load run to the login page")
        if expect not in text:
            raise RuntimeError(f"{path} did not show {expect!r}")


def _wrk(base, script: Path, seconds, threads, connections) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--timeout", "5s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(x for x in output.stdout.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON ") :])
    errors = sum(raw[k] for k in raw if k.endswith("errors") or k == "timeouts")
    answered = raw["requests"] > 0

    def ms(key):
        # No answer within the run: no latency to report, but a figure.
        return raw[key] / 1000 if answered else None

    return {
        "requests": raw["requests"],
        "req_s": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": ms("p50_us"),
        "p90_ms": ms("p90_us"),
        "p99_ms": ms("p99_us"),
        "max_ms": ms("max_us"),
        "errors": errors,
        "error_detail": {k: raw[k] for k in raw if "error" in k or k == "timeouts"},
    }


def _figures(run: dict) -> str:
    if run["p99_ms"] is None:
        return "no answer within the run"
    return f"p50 {run['p50_ms']:6.1f} ms  p99 {run['p99_ms']:6.1f} ms"


def _target(server, script, text, label, check, settings) -> dict:
    """One target: the server drained, the answer checked, warm-up, then the
    timed run at full load; then, the server drained again, a run with one
    connection per worker, where no request waits for another (its latency is
    the request's own)."""
    seconds, warmup, threads, connections = settings
    server.drain()
    check()
    script.write_text(text)
    _wrk(server.base, script, warmup, threads, connections)
    run = _wrk(server.base, script, seconds, threads, connections)
    server.drain()
    workers = SERVER_WORKERS
    run["per_worker"] = _wrk(server.base, script, seconds, workers, workers)
    print(
        f"  {label:<52} {run['req_s']:7.0f} req/s  {_figures(run)}  errors "
        f"{run['errors']} | {workers} connections: {_figures(run['per_worker'])}",
        flush=True,
    )
    return {"label": label, **run}


def load_run(
    database_url: str,
    fixtures: dict,
    *,
    seconds=10,
    warmup=2,
    threads=2,
    connections=16,
) -> dict:
    """wrk against each target in turn; the bare view before and after."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (Debian: apt-get install wrk)"}
    folder = Path(tempfile.mkdtemp(prefix="csrtool-load-"))
    server = Server(database_url, folder / "server.log")
    try:
        cookie = server.sign_in(fixtures["csr_email"], fixtures["csr_password"])
        page = {"Cookie": cookie}
        api = {"Authorization": f"Bearer {fixtures['api_key']}"}
        json_api = {**api, "Content-Type": "application/json"}
        emails = fixtures["emails"]
        quote = urllib.parse.quote
        targets = {
            "bare": ([f"/{BARE_PATH}?email={quote(e)}" for e in emails], {}, emails[0]),
            "lookup_page": (
                [f"/subscribers/?q={quote(e)}" for e in emails],
                page,
                emails[0],
            ),
            "line_lookup_page": (
                [f"/numbers/lookup/?q={d}" for d in fixtures["digits"]],
                page,
                "Phone Line Lookup",
            ),
            "api_lookup": (
                [f"/api/v1/subscribers?q={quote(e)}" for e in emails],
                api,
                emails[0],
            ),
        }
        labels = {
            "bare": "bare view: one indexed query (bench only)",
            "lookup_page": "Subscriber Lookup page, exact email (signed in)",
            "line_lookup_page": "Phone Line Lookup page, 4-8 digits (signed in)",
            "api_lookup": "API GET /subscribers?q=<email> (API key)",
            "api_create": "API POST /subscribers (API key)",
        }
        results = {}
        order = ["bare", "lookup_page", "line_lookup_page", "api_lookup", "bare"]
        for name in order:
            paths, headers, expect = targets[name]
            key = name if name not in results else f"{name}_after"
            results[key] = _target(
                server,
                folder / f"{key}.lua",
                _get_script(paths, headers),
                labels[name],
                lambda p=paths[0], h=headers, e=expect: server.check(p, h, e),
                (seconds, warmup, threads, connections),
            )
        body = json.dumps(
            {
                "first_name": "Load",
                "last_name": "Check",
                "email": f"load.check.{secrets.token_hex(4)}@example.com",
                "phone": "+12125550100",
                "billing_id": "LR-check",
            }
        ).encode()
        results["api_create"] = _target(
            server,
            folder / "api_create.lua",
            _create_script(json_api),
            labels["api_create"],
            lambda: server.check(
                "/api/v1/subscribers", json_api, '"subscriber_id"', body=body
            ),
            (seconds, warmup, threads, connections),
        )
    finally:
        server.stop()
    bare = [results[k]["req_s"] for k in ("bare", "bare_after") if k in results]
    if bare:
        results["bare_req_s"] = sum(bare) / len(bare)
        for name in ("lookup_page", "line_lookup_page", "api_lookup", "api_create"):
            if name in results:
                results[name]["share_of_bare"] = (
                    results[name]["req_s"] / results["bare_req_s"]
                )
    results["settings"] = {
        "threads": threads,
        "connections": connections,
        "workers": SERVER_WORKERS,
        "seconds": seconds,
        "warmup": warmup,
    }
    shutil.rmtree(folder, ignore_errors=True)
    return results
