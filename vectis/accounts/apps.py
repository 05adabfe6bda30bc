from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vectis.accounts"
    label = "accounts"
    verbose_name = "Accounts and API access"

    def ready(self) -> None:
        from vectis import checks  # noqa: F401  (registers the deploy checks)
