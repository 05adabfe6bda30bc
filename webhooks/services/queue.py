"""Handing attempts to workers: the one place the webhook services queue delivery tasks."""

from vectis import tasks
from webhooks.services.policy import ATTEMPTS_PER_TASK


def enqueue_attempts(pairs: list[tuple[int, int]], countdown: float | None = None) -> None:
    """Queue (delivery id, attempt number) pairs, ATTEMPTS_PER_TASK to a task."""
    from webhooks.tasks import deliver_batch

    # Network calls: never in a request (in-process: on a background thread). Not queued
    # (broker down): the sweep queues the attempts when they are due.
    for start in range(0, len(pairs), ATTEMPTS_PER_TASK):
        chunk = [list(pair) for pair in pairs[start : start + ATTEMPTS_PER_TASK]]
        tasks.enqueue(deliver_batch, (chunk,), countdown=countdown)
