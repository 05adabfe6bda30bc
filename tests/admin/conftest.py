import pytest
from django.contrib.auth.models import User

from tests.inventory.conftest import other_stock, stock  # noqa: F401  (shared fixtures)
from tests.webhooks.conftest import local_targets, receiver_factory  # noqa: F401
from vectis.accounts.models import Membership


def staff(client, memberships: dict, username: str | None = None) -> User:
    """A staff user with `memberships` ({account: role}), logged in on `client`; named
    u-<role> unless told."""
    name = username or "u-" + "-".join(memberships.values())
    user = User.objects.create_user(name, password="pw", is_staff=True)
    for account, role in memberships.items():
        Membership.objects.create(user=user, account=account, role=role)
    client.force_login(user)
    return user


@pytest.fixture
def operator(client, account):
    """`client`, logged in as "op", an operator of `account`."""
    staff(client, {account: "operator"}, "op")
    return client
