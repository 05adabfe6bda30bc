"""System checks of Vectis's own production settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def no_client_metadata_fetching(app_configs, **kwargs):
    """django-oauth-toolkit can fetch client metadata documents from URLs (CIMD): a network
    call from the token endpoint to an address a client names. Vectis keeps it off."""
    if settings.OAUTH2_PROVIDER.get("CIMD_ENABLED"):
        return [
            Error(
                "OAUTH2_PROVIDER CIMD_ENABLED is on: the token endpoint would fetch URLs that "
                "clients name.",
                hint="Vectis offers the client-credentials grant only; leave CIMD off.",
                id="vectis.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def encryption_keys(app_configs, **kwargs):
    if settings.VECTIS_ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "VECTIS_ENCRYPTION_KEYS is not set: webhook secrets are encrypted with a key derived "
            "from SECRET_KEY, so rotating SECRET_KEY makes them unreadable.",
            hint="Set VECTIS_ENCRYPTION_KEYS to a key from `manage.py generate_encryption_key`.",
            id="vectis.W001",
        )
    ]
