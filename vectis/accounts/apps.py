from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vectis.accounts"
    label = "accounts"
    verbose_name = "Accounts and API access"
