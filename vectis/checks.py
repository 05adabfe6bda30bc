"""System checks of Vectis's own production settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
