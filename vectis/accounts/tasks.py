from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from oauth2_provider.models import AccessToken


@shared_task(name="vectis.accounts.tasks.purge_expired_tokens")
def purge_expired_tokens() -> int:
    """Delete access tokens that expired more than a day ago."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = AccessToken.objects.filter(expires__lt=cutoff).delete()
    return deleted
