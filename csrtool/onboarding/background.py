"""A job worker beside the web server, so one command runs everything.

The worker runs as a child process of `csrtool serve`, watched by a thread of the
serving process: when it dies (killed, out of memory, a fatal error) a new one is
started, after a pause that doubles while it keeps dying quickly.
"""

import atexit
import logging
import os
import subprocess
import sys
import threading
import time

logger = logging.getLogger(__name__)


class SupervisedWorker:
    """`csrtool worker`, started again whenever it stops; stopped with us."""

    def __init__(self, *, first_pause=1.0, longest_pause=60.0, healthy_after=60.0):
        self.first_pause = first_pause
        self.longest_pause = longest_pause
        self.healthy_after = healthy_after
        self.process: subprocess.Popen | None = None
        self._started = 0.0
        self._stopping = threading.Event()
        self._parent = os.getpid()

    def start(self) -> "SupervisedWorker":
        self._spawn()
        watcher = threading.Thread(
            target=self._watch, name="worker-supervisor", daemon=True
        )
        watcher.start()
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        # Forked web workers inherit atexit handlers; only the parent stops it.
        if os.getpid() != self._parent:
            return
        self._stopping.set()
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "csrtool", "worker"]
        # The worker leaves when this process is gone, even if killed outright.
        env = {**os.environ, "CSRTOOL_SUPERVISOR_PID": str(os.getpid())}
        self.process = subprocess.Popen(command, env=env)  # noqa: S603
        self._started = time.monotonic()
        sys.stdout.write(f"Job worker started (pid {self.process.pid}).\n")
        sys.stdout.flush()

    def _watch(self) -> None:
        pause = self.first_pause
        while True:
            code = self.process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - self._started >= self.healthy_after:
                pause = self.first_pause
            logger.error(
                "The job worker (pid %s) stopped (exit status %s); starting a new "
                "one in %.0f s.",
                self.process.pid,
                code,
                pause,
            )
            if self._stopping.wait(pause):
                return
            self._spawn()
            pause = min(pause * 2, self.longest_pause)


def start_worker_process() -> SupervisedWorker:
    return SupervisedWorker().start()
