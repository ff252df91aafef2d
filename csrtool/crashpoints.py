"""Crash points: named steps at which a test can make this process die at once.

Each background job passes through its crash points on the way from "committed"
to "done". Setting CSRTOOL_CRASH_AT to a step's name makes the process SIGKILL
itself there, so a test hits each crash window deterministically and then checks
that a restarted worker finishes the work exactly once. Unset (always, outside
tests), a crash point costs one dictionary look-up.
"""

import os
import signal


def crash_point(step: str) -> None:
    if os.environ.get("CSRTOOL_CRASH_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)
