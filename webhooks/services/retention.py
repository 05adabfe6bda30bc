"""Retention: deleting finished deliveries and delivered events once they are old enough
(`manage.py prune`, VECTIS_RETENTION_DELIVERIES_DAYS and VECTIS_RETENTION_EVENTS_DAYS)."""

from collections.abc import Callable
from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from vectis.batches import DELETE_BATCH, delete_in_batches
from webhooks.models import Delivery, Event

# Succeeded, or failed with no attempt left: nothing will send them again unless someone asks
# (redeliver, recover), which makes them pending first. Pending covers every retry still due.
FINISHED = (Delivery.SUCCEEDED, Delivery.FAILED)


def finished_deliveries(*, older_than: timedelta):
    """Deliveries that finished (succeeded or failed for good) more than `older_than` ago."""
    return Delivery.objects.filter(
        status__in=FINISHED, completed_at__lt=timezone.now() - older_than
    )


def prunable_events(*, older_than: timedelta):
    """Events older than `older_than` that were fanned out and no delivery refers to."""
    return Event.objects.filter(
        created_at__lt=timezone.now() - older_than, fanned_out_at__isnull=False
    ).exclude(Exists(Delivery.objects.filter(event_id=OuterRef("pk"))))


def deliveries_prune(
    *,
    older_than: timedelta,
    dry_run: bool = False,
    batch: int = DELETE_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Delete the deliveries that finished more than `older_than` ago, with their attempts, a
    batch per transaction; a delivery pending or retrying is never deleted (one restarted
    while this runs is kept). Returns how many were (or would be) deleted."""
    rows = finished_deliveries(older_than=older_than)
    if dry_run:
        return rows.count()
    return delete_in_batches(rows, batch=batch, progress=progress)


def events_prune(
    *,
    older_than: timedelta,
    dry_run: bool = False,
    batch: int = DELETE_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Delete events older than `older_than` that were fanned out and that no delivery (left)
    refers to, a batch per transaction. Returns how many were (or would be) deleted."""
    rows = prunable_events(older_than=older_than)
    if dry_run:
        return rows.count()
    return delete_in_batches(rows, batch=batch, progress=progress)
