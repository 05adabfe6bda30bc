"""Resend webhook deliveries that have not succeeded since a moment, endpoint by endpoint."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from vectis.accounts.selectors import account_by_id_or_name
from vectis.commands import add_progress_argument, progress_bar
from vectis.errors import ValidationFailed
from vectis.serializers import parse_date_time
from webhooks import services
from webhooks.selectors import endpoints_matching
from webhooks.services.replay import check_since


class Command(BaseCommand):
    help = (
        "Resend every webhook delivery since --since that has not succeeded (failed, or "
        "waiting for a retry), and create the deliveries of subscribed events an endpoint never "
        "got (while it was disabled): POST /v1/webhooks/{id}/recover for every endpoint, or "
        "one, or an account's. Each resent delivery starts a fresh run of retries. Disabled "
        "endpoints are skipped (this never re-enables one: set active: true first). Prints per "
        "endpoint how many deliveries were queued."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            metavar="DATETIME",
            help="Deliveries created at or after this: a date (2026-01-31, midnight UTC) or an "
            "RFC 3339 date-time (2026-01-31T10:00:00Z). Default: 24 hours ago.",
        )
        parser.add_argument("--endpoint", metavar="whk_…", help="Only this endpoint.")
        parser.add_argument("--account", help="Only this account's endpoints (acc_… or name).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print how many deliveries each endpoint would get again; send nothing.",
        )
        add_progress_argument(parser)

    def handle(self, *args, since, endpoint, account, dry_run, progress, **options):
        now = timezone.now()
        since = self._since(since, now)
        owner = None
        if account:
            owner = account_by_id_or_name(account)
            if owner is None:
                raise CommandError(f"No account with id or name {account!r}")
        endpoints = list(endpoints_matching(account=owner, public_id=endpoint))
        if endpoint and not endpoints:
            where = f" in account {owner.name!r}" if owner else ""
            raise CommandError(f"No webhook endpoint {endpoint!r}{where}")
        if endpoint and not endpoints[0].active:
            # Asked for by name: doing nothing is a failure, not a skip.
            raise CommandError(f"{self._disabled(endpoints[0])}; enable it (active: true) first")

        verb = "would requeue" if dry_run else "requeued"
        total = skipped = 0
        with progress_bar(
            self, total=len(endpoints), desc="endpoints", unit="endpoint", enabled=progress
        ) as bar:
            for target in endpoints:
                bar.update(1)
                try:
                    count = self._recover(target, since, dry_run=dry_run)
                except services.EndpointDisabled:
                    skipped += 1
                    self.stdout.write(f"{self._disabled(target)}: skipped")
                    continue
                except DatabaseError as exc:
                    raise CommandError(
                        f"{target.public_id}: {exc}. Endpoints before it were done; run the "
                        "command again (a delivery already requeued is not sent twice)."
                    ) from exc
                total += count
                self.stdout.write(f"{target.public_id} ({target.account.name}): {verb} {count}")
        self.stdout.write(
            f"{verb} {total} delivery(ies) since {since.isoformat()} to "
            f"{len(endpoints) - skipped} endpoint(s); {skipped} disabled endpoint(s) skipped"
        )

    @staticmethod
    def _since(value: str | None, now):
        if value is None:
            return now - timedelta(hours=24)
        try:
            since = parse_date_time(value, allow_date=True)
        except ValueError as exc:
            raise CommandError(f"--since {value!r}: {exc}") from None
        if since > now:
            raise CommandError(f"--since {value!r} is in the future.")
        try:
            check_since(since)
        except ValidationFailed as exc:
            raise CommandError(f"--since {value!r}: {exc.message}") from None
        return since

    @staticmethod
    def _recover(endpoint, since, *, dry_run: bool) -> int:
        if dry_run:
            return services.endpoint_recover_count(endpoint=endpoint, since=since)
        return services.endpoint_recover(endpoint=endpoint, since=since)

    @staticmethod
    def _disabled(endpoint) -> str:
        reason = f": {endpoint.disabled_reason}" if endpoint.disabled_reason else ""
        return f"{endpoint.public_id} ({endpoint.account.name}) is disabled{reason}"
