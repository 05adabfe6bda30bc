"""Replay and repair: redeliver one delivery, recover an endpoint's missed events, and the
periodic sweep that fans out what the relay missed and queues due retries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vectis.errors import ValidationFailed
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from webhooks.services import queue
from webhooks.services.fanout import fan_out_many
from webhooks.services.policy import (
    FANOUT_CHUNK,
    FANOUT_GRACE,
    INTERRUPTED,
    MAX_ATTEMPTS,
    RECOVER_BATCH,
    REQUEUE_AFTER,
    DeliveryInProgress,
    EndpointDisabled,
    lease,
    unclaimed,
)


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery again now, whatever its status, as a fresh run of retries."""
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if not locked.endpoint.active:
            raise EndpointDisabled()
        if locked.claimed_until and locked.claimed_until > timezone.now():
            raise DeliveryInProgress()
        _restart([locked])
    delivery.refresh_from_db()
    return delivery


def check_since(since: datetime) -> None:
    """Deliveries older than the retention are pruned, succeeded ones too, so before it an
    event without a delivery may well have arrived: recovering from there would send it again."""
    days = settings.VECTIS_RETENTION_DELIVERIES_DAYS
    if since < timezone.now() - timedelta(days=days):
        raise ValidationFailed(
            f"since is older than the delivery log keeps ({days} days, "
            "VECTIS_RETENTION_DELIVERIES_DAYS): what arrived before then is no longer known, "
            "so it would be sent again.",
            field="since",
            code="before_retention",
        )


def endpoint_recover(*, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Resend everything `endpoint` should have received since `since` and did not: deliveries
    that failed or still wait for a retry, and matching events it never got a delivery for
    (say, while it was disabled). Works in batches of short transactions."""
    endpoint.refresh_from_db()
    if not endpoint.active:
        raise EndpointDisabled()
    check_since(since)
    _create_missing_deliveries(endpoint, max(since, endpoint.created_at))
    total, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                _unsucceeded(endpoint, since, timezone.now())
                .select_for_update()
                .filter(pk__gt=last_pk)
                .order_by("pk")[:RECOVER_BATCH]
            )
            if not batch:
                return total
            _restart(batch)
        last_pk = batch[-1].pk
        total += len(batch)


def endpoint_recover_count(*, endpoint: WebhookEndpoint, since: datetime) -> int:
    """How many deliveries `endpoint_recover` would send now (those to restart and those to
    create); changes nothing. Raises EndpointDisabled as recover does."""
    endpoint.refresh_from_db()
    if not endpoint.active:
        raise EndpointDisabled()
    check_since(since)
    missing = _missing_events(endpoint, max(since, endpoint.created_at)).count()
    return _unsucceeded(endpoint, since, timezone.now()).count() + missing


def _unsucceeded(endpoint: WebhookEndpoint, since: datetime, now: datetime):
    """The endpoint's deliveries since `since` that have not succeeded and no worker holds."""
    return (
        Delivery.objects.filter(endpoint=endpoint, created_at__gte=since)
        .exclude(status=Delivery.SUCCEEDED)
        .filter(unclaimed(now))
    )


def _missing_events(endpoint: WebhookEndpoint, since: datetime):
    """Fanned-out events since `since` the endpoint subscribes to and has no delivery of."""
    events = (
        Event.objects.filter(
            account_id=endpoint.account_id, created_at__gte=since, fanned_out_at__isnull=False
        )
        .exclude(type="ping")
        .exclude(deliveries__endpoint=endpoint)
    )
    if "*" not in endpoint.events:
        events = events.filter(type__in=endpoint.events)
    return events


def _restart(deliveries) -> list[tuple[int, int]]:
    now = timezone.now()
    pairs = [(d.pk, d.attempt_count + 1) for d in deliveries]
    Delivery.objects.filter(pk__in=[pk for pk, _ in pairs]).update(
        status=Delivery.PENDING,
        run_attempts=0,
        next_attempt_at=now,
        completed_at=None,
        enqueued_at=now,
    )
    transaction.on_commit(lambda: queue.enqueue_attempts(pairs))
    return pairs


def _create_missing_deliveries(endpoint: WebhookEndpoint, since: datetime) -> None:
    events = _missing_events(endpoint, since)
    last_pk = 0
    while True:
        batch = list(
            events.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "type")[:RECOVER_BATCH]
        )
        if not batch:
            return
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                # queued by the restart that follows
                Delivery.due(
                    account_id=endpoint.account_id,
                    event_id=pk,
                    endpoint=endpoint,
                    event_type=type,
                    now=now,
                    queued=False,
                )
                for pk, type in batch
            ],
            ignore_conflicts=True,
        )
        last_pk = batch[-1][0]


@dataclass(frozen=True)
class SweepResult:
    events_fanned_out: int
    deliveries_queued: int


def sweep(*, batch: int = 500) -> SweepResult:
    """Fan out events the broker missed and queue deliveries whose next attempt is due."""
    now = timezone.now()
    stale_events = list(
        Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=now - FANOUT_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for start in range(0, len(stale_events), FANOUT_CHUNK):
        fan_out_many(stale_events[start : start + FANOUT_CHUNK])

    # Attempts whose worker died (no attempt outlives its lease: the HTTP call has a hard
    # deadline): recorded as interrupted, not lost.
    DeliveryAttempt.objects.filter(finished_at__isnull=True, attempted_at__lt=now - lease()).update(
        category=DeliveryAttempt.INTERRUPTED, error=INTERRUPTED, finished_at=now
    )
    # A last attempt whose worker died leaves the delivery pending with no attempts left.
    Delivery.objects.filter(
        status=Delivery.PENDING, run_attempts__gte=MAX_ATTEMPTS, claimed_until__lt=now
    ).update(status=Delivery.FAILED, completed_at=now, claimed_until=None, last_error=INTERRUPTED)

    due = Delivery.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=now).filter(
        unclaimed(now),
        # Queued a while ago and not run, or run by a worker that died (its task is gone).
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=now - REQUEUE_AFTER)
        | Q(claimed_until__lt=now),
    )
    pairs = list(due.order_by("next_attempt_at").values_list("pk", "attempt_count")[: batch * 2])
    Delivery.objects.filter(pk__in=[pk for pk, _ in pairs]).update(enqueued_at=now)
    queue.enqueue_attempts([(pk, count + 1) for pk, count in pairs])
    return SweepResult(events_fanned_out=len(stale_events), deliveries_queued=len(pairs))
