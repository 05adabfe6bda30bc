import pytest

from tests.inventory.conftest import Stock


@pytest.fixture
def stock(account):
    return Stock(account)


@pytest.fixture
def other_stock(other_account):
    return Stock(other_account)
