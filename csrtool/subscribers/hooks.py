"""What other apps do when an account is created or closed, inside the service's
own transaction.

The apps above subscribers (onboarding queues the welcome email, the number pool
releases the account's numbers) register here from their AppConfig.ready(), so
the subscribers app imports none of them: imports point one way, down to
subscribers. The service calls every registered step itself, so a write made
outside a request (the CLI, a worker, an import) runs them as well.
"""

from collections.abc import Callable

_created: list[Callable] = []
_created_together: list[Callable] = []
_closed: list[Callable] = []


def on_created(step: Callable) -> Callable:
    """Register `step(*, actor, subscriber, welcome, welcome_at)`."""
    if step not in _created:
        _created.append(step)
    return step


def on_created_together(step: Callable) -> Callable:
    """Register `step(*, actor, subscribers, welcome, welcome_at)`: the same as
    an `on_created` step, for many accounts created at once."""
    if step not in _created_together:
        _created_together.append(step)
    return step


def on_closed(step: Callable) -> Callable:
    """Register `step(*, actor, subscriber, now)`."""
    if step not in _closed:
        _closed.append(step)
    return step


def created(**details) -> None:
    for step in _created:
        step(**details)


def created_together(**details) -> None:
    for step in _created_together:
        step(**details)


def closed(**details) -> None:
    for step in _closed:
        step(**details)
