"""Delete what the retention settings no longer keep.

It lives in the webhooks app because that is the lowest layer that may call every service
involved (the core's idempotency keys and access tokens, and webhooks' own rows).
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from vectis.accounts import services as accounts
from vectis.api import idempotency
from vectis.batches import DELETE_BATCH
from vectis.commands import add_progress_argument, progress_bar
from webhooks import services as webhooks


class Command(BaseCommand):
    help = (
        "Delete, in batches of short transactions: expired idempotency keys; access tokens "
        "expired more than a day ago; webhook deliveries (with their attempts) that finished "
        "(succeeded, or failed for good) more than VECTIS_RETENTION_DELIVERIES_DAYS (30) ago, "
        "never one still pending or retrying; events older than VECTIS_RETENTION_EVENTS_DAYS "
        "(90) that were fanned out and that no remaining delivery refers to. Stock movements "
        "(the ledger) are never deleted. Prints the number deleted of each kind."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print how many rows would go; delete nothing."
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=DELETE_BATCH,
            help=f"Rows per DELETE statement and transaction (default {DELETE_BATCH}).",
        )
        add_progress_argument(parser)

    def handle(self, *args, dry_run, batch, progress, **options):
        delivery_days = settings.VECTIS_RETENTION_DELIVERIES_DAYS
        event_days = settings.VECTIS_RETENTION_EVENTS_DAYS
        if delivery_days < 1 or event_days < 1:
            raise CommandError(
                "VECTIS_RETENTION_DELIVERIES_DAYS and VECTIS_RETENTION_EVENTS_DAYS must be at "
                f"least 1 (they are {delivery_days} and {event_days})."
            )
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        kinds = [
            ("idempotency keys", "expired idempotency key(s)", idempotency.purge_expired, {}),
            (
                "access tokens",
                "access token(s) expired over a day ago",
                accounts.access_tokens_purge,
                {},
            ),
            (
                "deliveries",
                f"webhook delivery(ies) finished over {delivery_days} day(s) ago, "
                "with their attempts",
                webhooks.deliveries_prune,
                {"older_than": timedelta(days=delivery_days)},
            ),
            # After the deliveries: the events whose last delivery just went are due too.
            (
                "events",
                f"event(s) older than {event_days} day(s) with no delivery left",
                webhooks.events_prune,
                {"older_than": timedelta(days=event_days)},
            ),
        ]
        verb = "would delete" if dry_run else "deleted"
        for label, what, prune, kwargs in kinds:
            try:
                count = self._prune(
                    prune, kwargs, label, dry_run=dry_run, batch=batch, shown=progress
                )
            except DatabaseError as exc:
                raise CommandError(
                    f"Deleting {what} failed: {exc}. Batches already deleted stay deleted; run "
                    "the command again."
                ) from exc
            self.stdout.write(f"{verb} {count} {what}")

    def _prune(self, prune, kwargs, label: str, *, dry_run: bool, batch: int, shown: bool) -> int:
        due = prune(dry_run=True, **kwargs)
        if dry_run or not due:
            return due
        with progress_bar(self, total=due, desc=label, unit="row", enabled=shown) as bar:
            return prune(batch=batch, progress=bar.update, **kwargs)
