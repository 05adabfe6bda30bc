"""Check that the ledger sums to on_hand and reservations sum to reserved, for every stock level."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import verify_ledger
from vectis.accounts.selectors import account_by_id_or_name


class Command(BaseCommand):
    help = (
        "Verify every stock level: on_hand = Σ movements (and the last movement's on_hand_after), "
        "reserved = Σ active reservations. Exit status 1 on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", help="Only this account (acc_… or exact name)")
        parser.add_argument(
            "--fix-report",
            action="store_true",
            help="Print one JSON object per mismatch with the fix it needs (changes nothing)",
        )

    def handle(self, *args, **options):
        account_id = None
        if options["account"]:
            account = account_by_id_or_name(options["account"])
            if account is None:
                raise CommandError(f"No account with id or name {options['account']!r}")
            account_id = account.pk
        checked, mismatches = verify_ledger(account_id=account_id)
        for m in mismatches:
            if options["fix_report"]:
                record = {
                    "kind": m.kind,
                    "product_id": m.product_id,
                    "sku": m.sku,
                    "location_id": m.location_id,
                    "actual": m.actual,
                    "expected": m.expected,
                    "fix": m.fix,
                }
                self.stdout.write(json.dumps(record))
            else:
                self.stdout.write(
                    f"MISMATCH {m.kind}: {m.sku} at {m.location_id}: {m.actual} != {m.expected}"
                )
        summary = f"{checked} stock levels checked, {len(mismatches)} mismatches"
        if mismatches:
            self.stderr.write(summary)
            sys.exit(1)
        self.stderr.write(summary)
