from django.conf import settings
from django.db import models
from oauth2_provider.models import Application

from vectis.accounts import roles
from vectis.db import PublicIdField, TimestampedModel


class Account(TimestampedModel):
    """A merchant: the tenant every domain row belongs to."""

    public_id = PublicIdField(prefix="acc")
    name = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)
    auto_allocate = models.BooleanField(
        default=True, help_text="Allocate new orders right after they are created."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiClient(TimestampedModel):
    """An OAuth2 client-credentials application bound to one account and its allowed scopes."""

    public_id = PublicIdField(prefix="cli")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_clients")
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="api_client"
    )
    name = models.CharField(max_length=200)
    scopes = models.TextField(help_text="Space-separated scopes this client may request.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return f"{self.account} / {self.name}"

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class Membership(TimestampedModel):
    """Gives a staff user access to an account's data in the admin, with a role
    (vectis/accounts/roles.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        max_length=20,
        choices=roles.ROLES,
        default=roles.VIEWER,
        help_text="Viewer reads; operator also picks, packs, ships, receives and moves stock; "
        "manager also cancels and configures (API clients, webhooks, thresholds, members).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="uniq_membership_user_account")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account}"
