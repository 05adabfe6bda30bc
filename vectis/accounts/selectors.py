"""Account reads."""

from vectis.accounts.models import Account


def account_by_id_or_name(value: str) -> Account | None:
    """The account with this public id (`acc_…`) or, failing that, this exact name."""
    return (
        Account.objects.filter(public_id=value).first()
        or Account.objects.filter(name=value).first()
    )
