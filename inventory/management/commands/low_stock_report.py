"""Stock at or below its low-stock threshold, per account, SKU and warehouse."""

import csv

from django.core.management.base import BaseCommand, CommandError

from inventory.listing import InventoryFilters, InventoryQuery
from vectis.accounts.models import Account
from vectis.accounts.selectors import account_by_id_or_name
from warehouses.selectors import warehouses_for_account

COLUMNS = ["account", "sku", "warehouse", "on_hand", "reserved", "available", "threshold"]


class Command(BaseCommand):
    help = (
        "List every SKU and warehouse whose available stock is at or below its low-stock "
        "threshold (the warehouse's override, else the product's), as GET "
        "/v1/inventory?below_threshold=true computes it (holds past their expiry count as "
        "released). Columns: " + ", ".join(COLUMNS) + ". An empty report is not an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", help="Only this account (acc_… or name); default all.")
        parser.add_argument("--warehouse", metavar="CODE", help="Only the warehouse(s) with code.")
        parser.add_argument(
            "--format",
            choices=["text", "csv"],
            default="text",
            help="text: aligned columns for reading (default); csv: a header row and one row "
            "per line, for a spreadsheet.",
        )

    def handle(self, *args, account, warehouse, format, **options):
        if account:
            found = account_by_id_or_name(account)
            if found is None:
                raise CommandError(f"No account with id or name {account!r}")
            accounts = [found]
        else:
            accounts = list(Account.objects.order_by("name"))
        rows, matched = [], False
        for acct in accounts:
            warehouse_ids = None
            if warehouse:
                warehouse_ids = list(
                    warehouses_for_account(acct).filter(code=warehouse).values_list("pk", flat=True)
                )
                if not warehouse_ids:
                    continue
                matched = True
            query = InventoryQuery(
                acct.pk, InventoryFilters(warehouse_ids=warehouse_ids, below_threshold=True)
            )
            for r in query.rows(locations=False):
                counts = [r.on_hand, r.reserved, r.available, r.low_stock_threshold]
                rows.append([acct.name, r.sku, r.warehouse_code, *counts])
        if warehouse and not matched:
            where = f" in account {accounts[0].name!r}" if account else ""
            raise CommandError(f"No warehouse with code {warehouse!r}{where}")
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        else:
            self._text(rows)
        self.stderr.write(f"{len(rows)} row(s) at or below their threshold")

    def _text(self, rows: list[list]) -> None:
        table = [COLUMNS, *[[str(v) for v in row] for row in rows]]
        widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
        numeric = set(range(3, len(COLUMNS)))
        for row in table:
            cells = [
                v.rjust(w) if i in numeric else v.ljust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            ]
            self.stdout.write("  ".join(cells).rstrip())
