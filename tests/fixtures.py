"""Fixtures shared by every test package (loaded by tests/conftest.py), so that no conftest
imports another's."""

import pytest

from tests.factories import Stock, staff
from tests.webhooks.receiver import Receiver


@pytest.fixture
def stock(account):
    return Stock(account)


@pytest.fixture
def other_stock(other_account):
    return Stock(other_account)


@pytest.fixture
def operator(client, account):
    """`client`, logged in as "op", an operator of `account`."""
    staff(client, {account: "operator"}, "op")
    return client


@pytest.fixture
def local_targets(settings):
    """Allow http and loopback targets, as in local development."""
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = True
    settings.VECTIS_WEBHOOK_ALLOW_PRIVATE = True
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def receiver_factory():
    made = []

    def make(*replies, **kwargs):
        receiver = Receiver(*replies, **kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()
