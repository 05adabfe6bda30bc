from celery import shared_task

from vectis.accounts import services


@shared_task(name="vectis.accounts.tasks.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete access tokens that expired more than a day ago."""
    return services.access_tokens_purge()
