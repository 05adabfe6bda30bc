"""Expire lapsed inventory holds now (what Celery beat does every 30 s)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from inventory import services
from inventory.selectors import lapsed_holds
from vectis.commands import add_progress_argument, progress_bar


class Command(BaseCommand):
    help = (
        "Release every hold (reservation) still active past its expires_at, in every account, "
        "so its units are on hand to allocate again. Celery beat runs the same every 30 s; run "
        "this where no beat runs or to catch up at once. Prints the number expired."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the holds that have lapsed (one line each) and count them; change nothing.",
        )
        add_progress_argument(parser)

    def handle(self, *args, dry_run, progress, **options):
        now = timezone.now()
        lapsed = lapsed_holds(now)
        if dry_run:
            count = 0
            for hold in lapsed.iterator(chunk_size=2000):
                count += 1
                held_for = hold.reference or f"order line {hold.order_line_id}"
                self.stdout.write(
                    f"{hold.public_id}\t{hold.account.name}\t{hold.product.sku}\t"
                    f"{hold.warehouse.code}\t{hold.quantity}\t{held_for}\t"
                    f"{hold.expires_at.isoformat()}"
                )
            self.stdout.write(f"would expire {count} hold(s)")
            return
        with progress_bar(
            self, total=lapsed.count(), desc="expiring holds", unit="hold", enabled=progress
        ) as bar:
            try:
                expired = services.expire_holds(now=now, progress=bar.update)
            except DatabaseError as exc:
                raise CommandError(
                    f"Expiring holds failed: {exc}. Holds expired before the failure stay "
                    "expired; run the command again."
                ) from exc
        self.stdout.write(f"expired {expired} hold(s)")
