"""Racing calls against each other, for tests of the locks that settle races.

Run inside a test marked `django_db(transaction=True)`: each racer has its own
thread and its own database connection, and sees what the others commit.
"""

import contextlib
import importlib
import threading
from unittest import mock

from django.db import connection


def race(*calls, pause_after: str = "", timeout: float = 2.0) -> list:
    """Run the calls at once, each in its own thread; their results, or the
    exceptions they raised, in order.

    A barrier starts them together. `pause_after` ("package.module.function", as
    the code under test looks it up) stops each racer right after that function
    returns until every racer has got there: none acts on what it read before the
    others have read too. When a lock keeps the others from getting there, the
    one holding it goes on after `timeout` seconds, and so does each after it.
    """
    start = threading.Barrier(len(calls))
    paused = threading.Barrier(len(calls), timeout=timeout)
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is the answer
            outcomes[index] = error
        finally:
            connection.close()

    pause = contextlib.nullcontext()
    if pause_after:
        module, name = pause_after.rsplit(".", 1)
        original = getattr(importlib.import_module(module), name)

        def pausing(*args, **kwargs):
            result = original(*args, **kwargs)
            with contextlib.suppress(threading.BrokenBarrierError):
                paused.wait()
            return result

        pause = mock.patch(pause_after, pausing)
    with pause:
        threads = [
            threading.Thread(target=run, args=(index, call))
            for index, call in enumerate(calls)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return outcomes
