from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders import services


class Command(BaseCommand):
    help = (
        "Allocate orders whose automatic allocation was asked for but never ran (its task was "
        "lost, say while the broker was down). Celery beat runs the same sweep every "
        "VECTIS_ALLOCATION_SWEEP_SECONDS; this runs it by hand."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Only requests at least this old (default VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS; "
            "0 takes every one).",
        )
        parser.add_argument("--limit", type=int, default=10_000, help="At most this many orders.")
        parser.add_argument(
            "--dry-run", action="store_true", help="List the orders; allocate nothing."
        )

    def handle(self, *args, older_than, limit, dry_run, **options):
        if older_than is None:
            older_than = settings.VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS
        if older_than < 0 or limit < 1:
            raise CommandError("--older-than must be >= 0 and --limit >= 1.")
        handled = services.allocate_due(
            older_than=timedelta(seconds=older_than), limit=limit, dry_run=dry_run
        )
        for public_id in handled:
            self.stdout.write(public_id)
        verb = "would allocate" if dry_run else "allocated"
        self.stderr.write(f"{verb} {len(handled)} order(s)")
