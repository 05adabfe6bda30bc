from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone
from oauth2_provider.models import AccessToken

from inventory.models import StockMovement
from tests.commands.helpers import run
from tests.factories import undelivered
from tests.helpers import issue_token
from vectis.api import idempotency
from vectis.api.models import IdempotencyKey
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Event

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def old_rows(local_targets, account, api, stock, monkeypatch):
    """Of each kind, rows past their retention and rows that must stay."""
    now = timezone.now()
    stock.receive(stock.product("WIDGET"), stock.warehouse(), 5)  # a ledger row
    for key, expires in (("gone-1", now - DAY), ("gone-2", now - DAY), ("kept", now + DAY)):
        IdempotencyKey.objects.create(
            account=account,
            key=key,
            fingerprint="f",
            method="POST",
            path="/v1/orders",
            locked_at=now,
            expires_at=expires,
        )
    client = api.client_model
    issue_token(client, expires_in=-3 * 86400)  # expired three days ago: goes
    issue_token(client, expires_in=-3600)  # expired an hour ago: kept for now
    # api's own token is live

    services.endpoint_create(
        account=account, data={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    )
    pks = [pk for pk, _ in undelivered(account, 5, monkeypatch)]
    rows = dict(zip(["succeeded", "failed", "pending", "recent", "current"], pks, strict=True))
    long_ago = now - 40 * DAY
    Delivery.objects.filter(pk=rows["succeeded"]).update(status="succeeded", completed_at=long_ago)
    Delivery.objects.filter(pk=rows["failed"]).update(status="failed", completed_at=long_ago)
    Delivery.objects.filter(pk=rows["pending"]).update(created_at=long_ago, run_attempts=5)
    Delivery.objects.filter(pk=rows["recent"]).update(status="failed", completed_at=now - DAY)
    for pk in (rows["succeeded"], rows["failed"], rows["pending"]):
        DeliveryAttempt.objects.create(delivery_id=pk, number=1, attempted_at=long_ago)
    # events: the first three are 100 days old; plus one old without deliveries and one old
    # that was never fanned out
    old_events = Delivery.objects.filter(
        pk__in=[rows["succeeded"], rows["failed"], rows["pending"]]
    ).values_list("event_id", flat=True)
    Event.objects.filter(pk__in=list(old_events)).update(created_at=now - 100 * DAY)
    lone = Event.objects.create(account=account, type="order.created", data={}, fanned_out_at=now)
    unsent = Event.objects.create(account=account, type="order.created", data={})
    Event.objects.filter(pk__in=[lone.pk, unsent.pk]).update(created_at=now - 100 * DAY)
    return rows, lone, unsent


def counts() -> dict[str, int]:
    return {
        "keys": IdempotencyKey.objects.count(),
        "tokens": AccessToken.objects.count(),
        "deliveries": Delivery.objects.count(),
        "attempts": DeliveryAttempt.objects.count(),
        "events": Event.objects.count(),
        "movements": StockMovement.objects.count(),
    }


def test_what_is_past_its_retention_is_deleted_in_batches(old_rows):
    rows, lone, unsent = old_rows
    event_of = dict(Delivery.objects.values_list("pk", "event_id"))
    events_before = set(Event.objects.values_list("pk", flat=True))
    ran = run("prune", "--batch", "1", "--progress")
    assert ran.lines == [
        "deleted 2 expired idempotency key(s)",
        "deleted 1 access token(s) expired over a day ago",
        "deleted 2 webhook delivery(ies) finished over 30 day(s) ago, with their attempts",
        "deleted 3 event(s) older than 90 day(s) with no delivery left",
    ]
    assert "deliveries" in ran.err  # the bars
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["kept"]
    assert AccessToken.objects.count() == 2
    assert set(Delivery.objects.values_list("pk", flat=True)) == {
        rows["pending"],  # never a delivery that may still be sent
        rows["recent"],
        rows["current"],
    }
    assert list(DeliveryAttempt.objects.values_list("delivery_id", flat=True)) == [rows["pending"]]
    # the lone old event, and those whose last delivery this run deleted; not the one never
    # fanned out, nor the old one whose delivery is pending
    assert events_before - set(Event.objects.values_list("pk", flat=True)) == {
        lone.pk,
        event_of[rows["succeeded"]],
        event_of[rows["failed"]],
    }
    assert {unsent.pk, event_of[rows["pending"]]} <= set(Event.objects.values_list("pk", flat=True))
    assert StockMovement.objects.count() == 1  # the ledger is never pruned
    # a second run finds nothing
    assert run("prune").lines[0] == "deleted 0 expired idempotency key(s)"


def test_the_dry_run_counts_and_deletes_nothing(old_rows):
    before = counts()
    ran = run("prune", "--dry-run")
    assert ran.lines == [
        "would delete 2 expired idempotency key(s)",
        "would delete 1 access token(s) expired over a day ago",
        "would delete 2 webhook delivery(ies) finished over 30 day(s) ago, with their attempts",
        # the events of the deliveries it would delete are not counted: they still have one
        "would delete 1 event(s) older than 90 day(s) with no delivery left",
    ]
    assert counts() == before


def test_the_retention_settings_decide(old_rows, settings):
    settings.VECTIS_RETENTION_DELIVERIES_DAYS = 50
    settings.VECTIS_RETENTION_EVENTS_DAYS = 120
    ran = run("prune")
    assert ran.lines[2:] == [
        "deleted 0 webhook delivery(ies) finished over 50 day(s) ago, with their attempts",
        "deleted 0 event(s) older than 120 day(s) with no delivery left",
    ]


def test_a_restarted_delivery_is_not_deleted(old_rows):
    rows, _, _ = old_rows
    old = timedelta(days=30)
    assert services.deliveries_prune(older_than=old, dry_run=True) == 2
    services.delivery_redeliver(delivery=Delivery.objects.get(pk=rows["failed"]))
    assert services.deliveries_prune(older_than=old) == 1
    assert Delivery.objects.filter(pk=rows["failed"]).exists()


def test_a_retention_of_zero_days_is_refused(old_rows, settings):
    settings.VECTIS_RETENTION_EVENTS_DAYS = 0
    before = counts()
    with pytest.raises(CommandError, match="must be at least 1"):
        run("prune")
    assert counts() == before


def test_a_database_failure_is_a_command_error(old_rows, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("canceling statement due to lock timeout")

    monkeypatch.setattr(idempotency, "purge_expired", broken)
    with pytest.raises(CommandError, match=r"Deleting expired idempotency key.*lock timeout"):
        run("prune")


def test_the_periodic_token_purge_calls_the_same_service(old_rows):
    from vectis.accounts.tasks import purge_expired_tokens

    assert purge_expired_tokens() == 1
    assert AccessToken.objects.count() == 2
