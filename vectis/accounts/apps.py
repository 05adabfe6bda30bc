from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vectis.accounts"
    label = "accounts"
    verbose_name = "Accounts and API access"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import AccessToken, Application

        from vectis import checks  # noqa: F401  (registers the deploy checks)
        from vectis.accounts.models import Account, ApiClient
        from vectis.api import auth_cache

        # Cache invalidation, not domain flow: whatever path changes these rows (services, the
        # admin, a shell), cached token verifications must not outlive a revocation.
        for model in (Account, ApiClient, Application):
            uid = f"vectis-authgen-{model.__name__}"
            post_save.connect(auth_cache.on_revoking_change, sender=model, dispatch_uid=uid)
            post_delete.connect(auth_cache.on_revoking_change, sender=model, dispatch_uid=uid)
        post_save.connect(auth_cache.on_token_change, sender=AccessToken, dispatch_uid="vat")
        post_delete.connect(auth_cache.on_token_change, sender=AccessToken, dispatch_uid="vat")
