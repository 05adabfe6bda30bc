"""Fan-out: committed events become one Delivery per subscribed active endpoint, once."""

from django.db import transaction
from django.utils import timezone

from webhooks.models import Delivery, Event, WebhookEndpoint
from webhooks.services import queue


def fan_out(event_id: int) -> list[int]:
    """Create one Delivery per matching active endpoint, once; returns the new delivery ids."""
    return _fan_out_locked(
        Event.objects.select_for_update().filter(pk=event_id, fanned_out_at__isnull=True)
    )


def fan_out_many(event_ids: list[int]) -> list[int]:
    """`fan_out` for a batch of events of one or more accounts, in a constant number of queries."""
    return _fan_out_locked(
        Event.objects.select_for_update(skip_locked=True)
        .filter(pk__in=event_ids, fanned_out_at__isnull=True)
        .order_by("pk")
    )


def relay_pending(*, limit: int = 500) -> int:
    """Fan out up to `limit` committed events not fanned out yet, oldest first, in one short
    transaction of a constant number of statements; returns how many. Events another relay
    is fanning out right now are skipped (SKIP LOCKED), so relays can run side by side."""
    pending = (
        Event.objects.select_for_update(skip_locked=True)
        .filter(fanned_out_at__isnull=True)
        .order_by("created_at", "pk")[:limit]
    )
    return len(set(_fan_out_locked(pending, count_events=True)))


def _fan_out_locked(events_query, *, count_events: bool = False) -> list[int]:
    """Lock the events of `events_query` (not fanned out yet), create their deliveries and
    mark them fanned out; the first attempts are queued after the commit. Returns the new
    delivery ids, or the events' ids with `count_events`."""
    with transaction.atomic():
        events = list(events_query)
        if not events:
            return []
        account_ids = {e.account_id for e in events}
        endpoints = list(WebhookEndpoint.objects.filter(account_id__in=account_ids, active=True))
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                Delivery.due(
                    account_id=event.account_id,
                    event_id=event.pk,
                    endpoint=endpoint,
                    event_type=event.type,
                    now=now,
                )
                for event in events
                for endpoint in endpoints
                if endpoint.account_id == event.account_id and endpoint.wants(event.type)
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        Event.objects.filter(pk__in=[e.pk for e in events]).update(fanned_out_at=now)
        ids = list(
            Delivery.objects.filter(
                event_id__in=[e.pk for e in events], attempt_count=0, status=Delivery.PENDING
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: queue.enqueue_attempts([(pk, 1) for pk in ids]))
    return [e.pk for e in events] if count_events else ids
