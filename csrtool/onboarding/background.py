"""A job worker beside the web server, so one command runs everything."""

import atexit
import os
import subprocess
import sys


def start_worker_process() -> subprocess.Popen:
    """`csrtool worker` as a child process, stopped when this process exits."""
    process = subprocess.Popen([sys.executable, "-m", "csrtool", "worker"])  # noqa: S603

    parent = os.getpid()

    def stop():
        # Forked web workers inherit atexit handlers; only the parent stops it.
        if os.getpid() == parent and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    atexit.register(stop)
    return process
