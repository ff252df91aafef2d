"""What the figures were taken on, and how busy the machine was meanwhile."""

import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
from importlib import metadata


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read()
    except OSError:
        return ""


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


def _os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "–"


def _wrk() -> str:
    if not shutil.which("wrk"):
        return "not installed"
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout or out.stderr).split("[")[0].strip()


def postgres(server_url: str) -> dict:
    import psycopg

    try:
        with psycopg.connect(server_url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
            commit = conn.execute("SHOW synchronous_commit").fetchone()[0]
    except psycopg.Error as e:
        return {"error": str(e).strip()}
    return {"version": version, "shared_buffers": buffers, "synchronous_commit": commit}


def describe() -> dict:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "psycopg": _version("psycopg"),
        "wrk": _wrk(),
    }


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far."""
    fields = [int(x) for x in _read("/proc/stat").splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def own_cpu_seconds() -> float:
    """CPU of this process and every child it has waited for (their children
    included): the suite's own work, server workers and wrk among them."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def sharing(start: dict, end: dict, seconds: float) -> dict:
    """How much CPU others used while the suite ran (PostgreSQL's server
    processes count as others: they are not the suite's children)."""
    tick = os.sysconf("SC_CLK_TCK")
    busy = (end["busy"] - start["busy"]) / tick
    own = end["own"] - start["own"]
    cores = os.cpu_count() or 1
    return {
        "load_average_start": start["load"],
        "load_average_end": end["load"],
        "machine_busy_cores": busy / seconds,
        "suite_cores": own / seconds,
        "others_cores": max(0.0, busy - own) / seconds,
        "cores": cores,
    }


def snapshot() -> dict:
    busy, _ = cpu_ticks()
    return {"busy": busy, "own": own_cpu_seconds(), "load": os.getloadavg()}
