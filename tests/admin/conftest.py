import pytest

from tests.inventory.conftest import Stock


@pytest.fixture
def stock(account):
    return Stock(account)


@pytest.fixture
def other_stock(other_account):
    return Stock(other_account)


@pytest.fixture
def receiver_factory():
    from tests.webhooks.receiver import Receiver

    made = []

    def make(*replies, **kwargs):
        receiver = Receiver(*replies, **kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.stop()
