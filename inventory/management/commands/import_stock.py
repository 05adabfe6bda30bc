"""Counts or adjustments of stock from CSV (see inventory/stock_csv.py for the columns)."""

from django.core.management.base import BaseCommand, CommandError

from inventory.stock_csv import COLUMNS, ImportRejected, import_stock
from vectis.accounts.selectors import account_by_id_or_name
from vectis.csvimport import Unreadable, close, open_text, stdin_text

SHOWN = 50


class Command(BaseCommand):
    help = (
        "Set (on_hand column: counts, with optional expected_on_hand) or adjust (quantity "
        "column) stock from a CSV file with a header row; columns: "
        + ", ".join(sorted(COLUMNS))
        + ". `warehouse` and `location` are codes. 1,000 rows per transaction; --atomic: "
        "all rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, or - for standard input")
        parser.add_argument("--account", required=True, help="Account id (acc_…) or name")
        parser.add_argument("--atomic", action="store_true", help="All rows or none.")

    def handle(self, *args, **options):
        account = account_by_id_or_name(options["account"])
        if account is None:
            raise CommandError(f"No account with id or name {options['account']!r}")
        stdin = options["file"] == "-"
        stream = stdin_text() if stdin else open_text(options["file"])
        try:
            report = import_stock(
                account, stream, atomic=options["atomic"], actor="system:import_stock"
            )
        except Unreadable as exc:
            raise CommandError(f"{exc}. Nothing was imported.") from None
        except ImportRejected as exc:
            self._problems(exc.report)
            raise CommandError(f"{exc}") from None
        finally:
            close(stream, stdin=stdin)
        self._problems(report)
        self.stdout.write(
            f"{report.rows} {report.mode} rows: {report.applied} applied, {report.unchanged} "
            f"unchanged, {report.stale} stale, {report.failed} refused."
        )

    def _problems(self, report) -> None:
        for problem in report.problems[:SHOWN]:
            self.stderr.write(f"  {problem}")
        if len(report.problems) > SHOWN:
            self.stderr.write(f"  … and {len(report.problems) - SHOWN} more")
