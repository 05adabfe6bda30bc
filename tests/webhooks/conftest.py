import pytest

from tests.webhooks.receiver import Receiver


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
