"""Account reads."""

from oauth2_provider.models import AccessToken

from vectis.accounts.models import Account, ApiClient


def account_by_id_or_name(value: str) -> Account | None:
    """The account with this public id (`acc_…`) or, failing that, this exact name."""
    return (
        Account.objects.filter(public_id=value).first()
        or Account.objects.filter(name=value).first()
    )


def api_client_by_client_id(value: str) -> ApiClient | None:
    """The API client with this OAuth client id (what it signs in with) or, failing that, this
    public id (`cli_…`)."""
    clients = ApiClient.objects.select_related("account", "application")
    return (
        clients.filter(application__client_id=value).first()
        or clients.filter(public_id=value).first()
    )


def access_token_count(client: ApiClient) -> int:
    """Access tokens the client holds (expired ones not yet purged included)."""
    return AccessToken.objects.filter(application_id=client.application_id).count()
