"""Import products from CSV: all or nothing, in bounded memory.

The whole file is imported in one transaction, written in batches: Python holds one batch at a
time, and any row that cannot be read (bad UTF-8, NUL bytes, an over-long row or cell, broken
quoting, a read error) stops the import with the line number and rolls everything back. Rows
that can be read but are invalid are all reported, and then nothing is written either, unless
`--skip-invalid` asks to import the other rows.
"""

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from catalog import services
from catalog.api import bulk
from catalog.api.serializers import MAX_COMPONENTS
from vectis.accounts.models import Account
from vectis.accounts.selectors import account_by_id_or_name
from vectis.csvimport import (
    CellProblem,
    ErrorSink,
    Lines,
    Progress,
    Unreadable,
    close,
    header_names,
    metadata_cell,
    open_text,
    records,
    stdin_text,
)
from vectis.errors import ValidationFailed

COLUMNS = {
    "sku",
    "name",
    "type",
    "description",
    "barcode",
    "hs_code",
    "country_of_origin",
    "weight",
    "weight_unit",
    "length",
    "width",
    "height",
    "dimension_unit",
    "cost",
    "price",
    "currency",
    "tracking",
    "low_stock_threshold",
    "active",
    "components",
    "metadata",
}
SHOWN_REJECTS = 50
# A batch is flushed at --batch-size rows or at this many characters, whichever comes first.
MAX_BATCH_CHARS = 16 * 1024 * 1024
QUANTITY_RE = re.compile(r"[0-9]{1,9}")


@dataclass
class _Row:
    line: int  # where the record starts
    cells: dict  # column -> cell
    size: int  # characters
    problem: str | None = None  # refused before validation


class Command(BaseCommand):
    help = (
        "Create or update products from a CSV file (UTF-8, header row required; columns: "
        + ", ".join(sorted(COLUMNS))
        + "). Empty cells leave a field unset. `components` is 'SKU:QTY|SKU:QTY' for kits, "
        "`metadata` a JSON object. All or nothing: a row that cannot be read stops the import, "
        "and any rejected row means nothing is written (unless --skip-invalid). Exit status 1 "
        "when any row was rejected or the file could not be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, optional BOM), or - for stdin")
        parser.add_argument("--account", required=True, help="Account id (acc_…) or exact name")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count; write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows even when some are rejected (a row that cannot be read "
            "still stops the whole import)",
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--errors", help="Write every rejected row to this CSV file")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        account = _account(options["account"])
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 5000:
            raise CommandError("--batch-size must be between 1 and 5000")
        from_stdin = options["file"] == "-"
        stream = stdin_text() if from_stdin else open_text(options["file"])
        try:
            errors_out = ErrorSink(options["errors"], source=options["file"])
        except CommandError:
            close(stream, stdin=from_stdin)
            raise
        progress = Progress(self.stderr, enabled=not options["no_progress"])
        totals = {"created": 0, "updated": 0, "rejected": 0}
        shown: list[str] = []
        try:
            lines = Lines(stream)
            rows_read = records(lines)
            header = _check_header(next(rows_read, None))
            with transaction.atomic():
                rows = _rows(rows_read, header)
                for batch in _batches(rows, batch_size):
                    for row, outcome in self._import_batch(account, batch):
                        if outcome.status == "error":
                            totals["rejected"] += 1
                            reason = _reason(outcome.error)
                            errors_out.write(row.line, row.cells, reason)
                            if len(shown) < SHOWN_REJECTS:
                                shown.append(f"  line {row.line} ({outcome.sku or '?'}): {reason}")
                        else:
                            totals[outcome.status] += 1
                    progress.update(sum(totals.values()))
                keep = not options["dry_run"] and (
                    totals["rejected"] == 0 or options["skip_invalid"]
                )
                if not keep:
                    transaction.set_rollback(True)
        except Unreadable as exc:
            raise CommandError(f"{exc}. Nothing was imported.") from None
        finally:
            progress.done(sum(totals.values()))
            errors_out.close()
            close(stream, stdin=from_stdin)

        verb = "" if keep else "would be "
        self.stdout.write(
            f"{totals['created']} {verb}created, {totals['updated']} {verb}updated, "
            f"{totals['rejected']} rejected ({progress.rate():,.0f} rows/s)"
        )
        if shown:
            self.stdout.write("Rejected rows:")
            self.stdout.write("\n".join(shown))
            if totals["rejected"] > len(shown):
                self.stdout.write(f"  … and {totals['rejected'] - len(shown)} more (see --errors)")
        if totals["rejected"] and not keep and not options["dry_run"]:
            self.stdout.write(
                f"Nothing was imported: {totals['rejected']} row(s) rejected. Fix them and run "
                "again, or pass --skip-invalid to import the other rows."
            )
        if totals["rejected"]:
            sys.exit(1)

    def _import_batch(self, account, batch: list[_Row]) -> list[tuple[_Row, object]]:
        """Outcomes of one batch in row order, written inside the caller's transaction."""
        outcomes: dict[int, services.BulkOutcome] = {}
        readable: list[tuple[int, dict]] = []
        for position, row in enumerate(batch):
            try:
                if row.problem:
                    raise CellProblem(None, row.problem)
                readable.append((position, _to_item(row.cells)))
            except CellProblem as problem:
                error = ValidationFailed(problem.message, field=problem.field)
                outcomes[position] = services.BulkOutcome.failed(position, _sku(row.cells), error)
        if readable:
            raw = [item for _, item in readable]
            try:
                written = _upsert(account, raw)
            except (DatabaseError, OverflowError) as exc:
                # A value validation let through but the database cannot store: name its row.
                lines = [batch[position].line for position, _ in readable]
                raise CommandError(
                    f"{_refused_row(account, lines, raw, exc)}. Nothing was imported."
                ) from None
            for outcome in written:
                # bulk.prepare numbers the items it was given; map them back to the batch.
                outcome.index = readable[outcome.index][0]
                outcomes[outcome.index] = outcome
        return [(row, outcomes[position]) for position, row in enumerate(batch)]


def _upsert(account, raw: list[dict]) -> list[services.BulkOutcome]:
    for attempt in (1, 2):
        items, failed = bulk.prepare(account, raw)
        try:
            with transaction.atomic():
                return services.products_bulk_upsert(
                    account=account, items=items, failed=failed, atomic=False
                )
        except services.DuplicateSku:
            # Another writer created some of these SKUs meanwhile: they are updates now.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _refused_row(account, lines: list[int], raw: list[dict], exc: Exception) -> str:
    """Which row the database refused: each row alone in a savepoint rolled back (rare path)."""
    for line, item in zip(lines, raw, strict=True):
        try:
            with transaction.atomic():
                _upsert(account, [item])
                transaction.set_rollback(True)
        except (DatabaseError, OverflowError) as row_exc:
            return f"line {line} ({item.get('sku', '?')}): the database refused a value ({row_exc})"
    return f"lines {lines[0]}-{lines[-1]}: the database refused the batch ({exc})"


def _account(value: str) -> Account:
    account = account_by_id_or_name(value)
    if account is None:
        raise CommandError(f"No account with id or name {value!r}")
    return account


def _check_header(record) -> list[str]:
    names = header_names(record, COLUMNS)
    if "sku" not in names:
        raise CommandError("The header must have a 'sku' column.")
    return names


def _rows(records, header: list[str]) -> Iterator[_Row]:
    for line, cells, size in records:
        row = _Row(line, dict(zip(header, cells, strict=False)), size)
        if len(cells) > len(header):
            row.problem = f"{len(cells)} cells, but the header has {len(header)} columns."
        yield row


def _batches(rows: Iterator[_Row], size: int) -> Iterator[list[_Row]]:
    """Lists of at most `size` rows (and MAX_BATCH_CHARS); never more than one in memory."""
    batch, chars = [], 0
    for row in rows:
        batch.append(row)
        chars += row.size
        if len(batch) == size or chars >= MAX_BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _sku(cells: dict) -> str | None:
    sku = (cells.get("sku") or "").strip()
    return sku or None


def _to_item(row: dict) -> dict:
    item: dict = {}
    dimensions: dict = {}
    for key, value in row.items():
        value = (value or "").strip()
        if value == "":
            continue
        if key in ("length", "width", "height"):
            dimensions[key] = value
        elif key == "dimension_unit":
            dimensions["unit"] = value
        elif key == "components":
            item["components"] = _components(value)
        elif key == "metadata":
            item["metadata"] = metadata_cell(value)
        elif key == "low_stock_threshold":
            # CSV cells are text; the API takes a JSON integer
            item[key] = int(value) if re.fullmatch(r"-?\d{1,18}", value) else value
        elif key == "active":
            item["active"] = {
                "true": True,
                "1": True,
                "yes": True,
                "false": False,
                "0": False,
                "no": False,
            }.get(value.lower(), value)
        else:
            item[key] = value
    if dimensions:
        item["dimensions"] = dimensions
    return item


def _components(value: str) -> list:
    chunks = value.split("|")
    if len(chunks) > MAX_COMPONENTS:
        raise CellProblem("components", f"A kit has at most {MAX_COMPONENTS} components.")
    parts = []
    for position, chunk in enumerate(chunks, start=1):
        sku, colon, quantity = (part.strip() for part in chunk.partition(":"))
        if not sku or (colon and not QUANTITY_RE.fullmatch(quantity)):
            raise CellProblem(
                "components",
                f"Expected 'SKU:QTY|SKU:QTY' with whole quantities; entry {position} is "
                f"{chunk.strip()[:40]!r}.",
            )
        parts.append({"sku": sku, "quantity": int(quantity) if colon else 1})
    return parts


def _reason(error: dict) -> str:
    return f"{error['field']}: {error['message']}" if error.get("field") else error["message"]
