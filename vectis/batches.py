"""Deleting many rows without holding long locks: a batch of ids per statement, each batch its
own short transaction (the retention purges of `manage.py prune` and the periodic tasks)."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet

DELETE_BATCH = 5000


def delete_in_batches(
    rows: QuerySet,
    *,
    batch: int = DELETE_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Delete the rows `rows` matches (and what cascades from them), in primary-key order, at
    most `batch` per transaction. Each batch is matched again under a row lock, so a row that
    stopped matching meanwhile (say, a delivery restarted) is kept, and one another transaction
    holds is left for the next run. Returns the number of `rows`' own rows deleted; `progress`
    is told each batch's number."""
    model = rows.model
    label = model._meta.label
    total, last_pk = 0, None
    while True:
        candidates = rows.order_by("pk")
        if last_pk is not None:
            candidates = candidates.filter(pk__gt=last_pk)
        ids = list(candidates.values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        last_pk = ids[-1]
        with transaction.atomic():
            locked = list(
                rows.filter(pk__in=ids)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
            deleted = 0
            if locked:
                _, per_model = model._base_manager.filter(pk__in=locked).delete()
                deleted = per_model.get(label, 0)
        total += deleted
        if progress is not None:
            progress(deleted)
