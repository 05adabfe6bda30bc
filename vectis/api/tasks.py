from celery import shared_task

from vectis.api import idempotency


@shared_task(name="vectis.api.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete idempotency keys older than their 24 h lifetime."""
    return idempotency.purge_expired()
