from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orders import services
from vectis.commands import add_progress_argument, progress_bar


class Command(BaseCommand):
    help = (
        "Allocate orders whose automatic allocation was asked for but never ran (its task was "
        "lost, say while the broker was down). Celery beat runs the same sweep every "
        "VECTIS_ALLOCATION_SWEEP_SECONDS; this runs it by hand. Prints the ids of the orders "
        "handled; exit status 1 when the allocation of any of them failed (see the log; their "
        "requests stay for the next run)."
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
        add_progress_argument(parser)

    def handle(self, *args, older_than, limit, dry_run, progress, **options):
        if older_than is None:
            older_than = settings.VECTIS_ALLOCATION_SWEEP_GRACE_SECONDS
        if older_than < 0 or limit < 1:
            raise CommandError("--older-than must be >= 0 and --limit >= 1.")
        with progress_bar(
            self, total=None, desc="allocating", unit="order", enabled=progress and not dry_run
        ) as bar:
            report = services.allocate_due_report(
                older_than=timedelta(seconds=older_than),
                limit=limit,
                dry_run=dry_run,
                progress=bar.update,
            )
        for public_id in report.orders:
            self.stdout.write(public_id)
        if dry_run:
            self.stderr.write(f"would allocate {len(report.orders)} order(s)")
        else:
            self.stderr.write(f"allocated {len(report.orders) - len(report.failed)} order(s)")
        if report.failed:
            raise CommandError(
                f"the allocation of {len(report.failed)} order(s) failed (see the log; their "
                f"requests stay for the next run): {', '.join(report.failed)}"
            )
