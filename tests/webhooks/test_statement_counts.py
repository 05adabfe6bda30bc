"""Webhook delivery's SQL statements, pinned (issue 13, S7b): a wave of attempts (as many as
delivery threads) costs the same for 2 deliveries and for 20, whatever the receivers answer."""

import pytest

from tests.factories import undelivered
from tests.helpers import make_account
from tests.statements import count_statements
from tests.webhooks.receiver import Reply
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("local_targets"),
]


def test_a_batch_of_attempts_costs_the_same_for_1_and_20(receiver_factory, monkeypatch, settings):
    settings.VECTIS_WEBHOOK_DELIVERY_THREADS = 20  # one wave for all 20
    account = make_account("Batch")
    good, bad = receiver_factory(), receiver_factory(default=Reply(503))
    for receiver in (good, bad):
        services.endpoint_create(
            account=account, data={"url": receiver.url, "events": ["*"], "active": True}
        )
    counts = {}
    for events in (1, 10):  # 2 endpoints: 2 and 20 deliveries, half of them failing
        pairs = undelivered(account, events, monkeypatch)
        with count_statements() as seen:
            made = services.attempt_deliveries(pairs)
        assert made == len(pairs) == 2 * events
        counts[events] = seen
    assert counts[1].count == counts[10].count, (str(counts[1]), str(counts[10]))
    # claim: BEGIN, lock, claim, log in flight, COMMIT; record: BEGIN, attempts, deliveries,
    # healthy endpoints, the failing endpoint's health (3), COMMIT
    assert counts[1].count <= 13, str(counts[1])
    assert DeliveryAttempt.objects.filter(status_code=200).count() == 11
    assert DeliveryAttempt.objects.filter(status_code=503).count() == 11
    assert Delivery.objects.filter(status=Delivery.SUCCEEDED).count() == 11
    assert (
        Delivery.objects.filter(status=Delivery.PENDING, next_attempt_at__isnull=False).count()
        == 11
    )
    assert len(good.requests) == 11 and len(bad.requests) == 11


def test_an_attempt_made_already_is_not_made_again_by_a_batch(receiver_factory, monkeypatch):
    account = make_account("Twice")
    receiver = receiver_factory()
    services.endpoint_create(
        account=account, data={"url": receiver.url, "events": ["*"], "active": True}
    )
    pairs = undelivered(account, 3, monkeypatch)
    assert services.attempt_deliveries(pairs) == 3
    assert services.attempt_deliveries(pairs) == 0
    assert len(receiver.requests) == 3
    assert DeliveryAttempt.objects.count() == 3


def test_each_wave_is_claimed_just_before_it_is_sent(receiver_factory, monkeypatch, settings):
    # given 6 deliveries to a receiver that takes 0.3 s, 2 delivery threads, and a claim
    # grace that leaves room for one round of timeouts only
    settings.VECTIS_WEBHOOK_DELIVERY_THREADS = 2
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS = 3
    account = make_account("Waves")
    receiver = receiver_factory(default=Reply(hang_seconds=0.3))
    services.endpoint_create(
        account=account, data={"url": receiver.url, "events": ["*"], "active": True}
    )
    pairs = undelivered(account, 6, monkeypatch)
    # when the batch is attempted
    assert services.attempt_deliveries(pairs) == 6
    # then it went out in 3 waves, each attempt logged in flight right before its request, so
    # none waited behind others past its lease (the sweep would count it as a dead worker's)
    attempts = list(DeliveryAttempt.objects.order_by("attempted_at"))
    assert len({a.attempted_at for a in attempts}) == 3
    assert all((a.finished_at - a.attempted_at).total_seconds() < 0.9 for a in attempts)
    assert (attempts[-1].attempted_at - attempts[0].attempted_at).total_seconds() >= 0.5


def test_a_wave_holds_the_rounds_of_timeouts_that_fit_in_the_lease(
    receiver_factory, monkeypatch, settings
):
    # given 2 delivery threads, a 2 s timeout and a 4 s claim grace: two rounds fit, so a
    # wave claims 4 attempts; the last round ends by 4 s, within the 6 s lease
    settings.VECTIS_WEBHOOK_DELIVERY_THREADS = 2
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 2
    settings.VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS = 4
    assert services.wave_size() == 4
    account = make_account("Rounds")
    receiver = receiver_factory(default=Reply(hang_seconds=0.2))
    services.endpoint_create(
        account=account, data={"url": receiver.url, "events": ["*"], "active": True}
    )
    pairs = undelivered(account, 6, monkeypatch)
    # when the batch is attempted
    assert services.attempt_deliveries(pairs) == 6
    # then 2 waves of even size (3 + 3, not 4 + 2) were claimed, and every attempt ended
    # within its lease
    attempts = list(DeliveryAttempt.objects.order_by("attempted_at"))
    waves = sorted({a.attempted_at for a in attempts})
    assert len(waves) == 2
    assert [sum(a.attempted_at == w for a in attempts) for w in waves] == [3, 3]
    assert all((a.finished_at - a.attempted_at).total_seconds() < 6 for a in attempts)
    assert Delivery.objects.filter(status=Delivery.SUCCEEDED, claimed_until=None).count() == 6
