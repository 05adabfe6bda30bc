import pytest

from tests.webhooks.receiver import Receiver
from webhooks import services
from webhooks.models import Delivery, Event


def undelivered(account, events: int, monkeypatch) -> list[tuple[int, int]]:
    """(delivery id, 1) for the deliveries of `events` new events, fanned out but not
    attempted yet (their attempts are not queued), in id order."""
    created = [
        Event.objects.create(account=account, type="order.created", data={"n": n})
        for n in range(events)
    ]
    with monkeypatch.context() as patch:
        patch.setattr(services.queue, "enqueue_attempts", lambda *args, **kwargs: None)
        services.fan_out_many([e.pk for e in created])
    pks = Delivery.objects.filter(event__in=created).order_by("pk").values_list("pk", flat=True)
    return [(pk, 1) for pk in pks]


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
