"""Import products from CSV in bounded memory: stream, validate and upsert in batches."""

import csv
import re
import sys
import time
from collections.abc import Iterator
from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog import services
from catalog.api import bulk
from vectis import safejson
from vectis.accounts.models import Account
from vectis.accounts.selectors import account_by_id_or_name

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


class Command(BaseCommand):
    help = (
        "Create or update products from a CSV file (header row required; columns: "
        + ", ".join(sorted(COLUMNS))
        + "). Empty cells leave a field unset. `components` is 'SKU:QTY|SKU:QTY' for kits, "
        "`metadata` a JSON object. Exit status 1 when any row was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, optional BOM), or - for stdin")
        parser.add_argument("--account", required=True, help="Account id (acc_…) or exact name")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count; write nothing"
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--errors", help="Write every rejected row to this CSV file")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        account = _account(options["account"])
        batch_size = options["batch_size"]
        if not 1 <= batch_size <= 5000:
            raise CommandError("--batch-size must be between 1 and 5000")
        stream = sys.stdin if options["file"] == "-" else _open(options["file"])
        errors_out = _ErrorSink(options["errors"])
        progress = _Progress(self.stderr, enabled=not options["no_progress"])
        totals = {"created": 0, "updated": 0, "rejected": 0}
        shown: list[str] = []
        try:
            reader = csv.DictReader(stream)
            _check_header(reader.fieldnames)
            # A real import commits batch by batch; a dry run is one transaction rolled back.
            with transaction.atomic() if options["dry_run"] else nullcontext():
                for batch in _batches(reader, batch_size):
                    outcomes = self._import_batch(account, batch, dry_run=options["dry_run"])
                    for outcome in outcomes:
                        if outcome.status == "error":
                            totals["rejected"] += 1
                            line, row = batch[outcome.index - batch[0][2]][:2]
                            reason = _reason(outcome.error)
                            errors_out.write(line, row, reason)
                            if len(shown) < SHOWN_REJECTS:
                                shown.append(f"  line {line} ({outcome.sku or '?'}): {reason}")
                        else:
                            totals[outcome.status] += 1
                    progress.update(sum(totals.values()))
                if options["dry_run"]:
                    transaction.set_rollback(True)
        finally:
            progress.done(sum(totals.values()))
            errors_out.close()
            if stream is not sys.stdin:
                stream.close()

        verb = "would be " if options["dry_run"] else ""
        self.stdout.write(
            f"{totals['created']} {verb}created, {totals['updated']} {verb}updated, "
            f"{totals['rejected']} rejected ({progress.rate():,.0f} rows/s)"
        )
        if shown:
            self.stdout.write("Rejected rows:")
            self.stdout.write("\n".join(shown))
            if totals["rejected"] > len(shown):
                self.stdout.write(f"  … and {totals['rejected'] - len(shown)} more (see --errors)")
        if totals["rejected"]:
            sys.exit(1)

    def _import_batch(self, account, batch, *, dry_run: bool):
        first_index = batch[0][2]
        raw = [_to_item(row) for _, row, _ in batch]
        for attempt in (1, 2):
            items, failed = bulk.prepare(account, raw, first_index=first_index)
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


def _account(value: str) -> Account:
    account = account_by_id_or_name(value)
    if account is None:
        raise CommandError(f"No account with id or name {value!r}")
    return account


def _open(path: str):
    try:
        return open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(str(exc)) from exc


def _check_header(fieldnames) -> None:
    if not fieldnames:
        raise CommandError("The file is empty or has no header row.")
    names = [f.strip() for f in fieldnames]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise CommandError(f"Unknown column(s): {', '.join(unknown)}")
    if "sku" not in names:
        raise CommandError("The header must have a 'sku' column.")


def _batches(reader: csv.DictReader, size: int) -> Iterator[list[tuple[int, dict, int]]]:
    """(line number, row, index) in lists of `size`; never more than one batch in memory."""
    batch = []
    for index, row in enumerate(reader):
        batch.append((reader.line_num, row, index))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _to_item(row: dict) -> dict:
    item: dict = {}
    dimensions: dict = {}
    for key, value in row.items():
        if key is None:  # more cells than header columns
            item["__extra__"] = value
            continue
        key = key.strip()
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
            try:
                item["metadata"] = safejson.loads(value)
            except ValueError:
                item["metadata"] = value  # the serializer reports it
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


def _components(value: str) -> list | str:
    parts = []
    for chunk in value.split("|"):
        sku, _, quantity = chunk.strip().partition(":")
        try:
            parts.append({"sku": sku.strip(), "quantity": int(quantity or 1)})
        except ValueError:
            return value  # the serializer reports the malformed list
    return parts


def _reason(error: dict) -> str:
    return f"{error['field']}: {error['message']}" if error.get("field") else error["message"]


class _ErrorSink:
    def __init__(self, path: str | None):
        self.file = open(path, "w", newline="", encoding="utf-8") if path else None  # noqa: SIM115
        self.writer = None

    def write(self, line: int, row: dict, reason: str) -> None:
        if self.file is None:
            return
        if self.writer is None:
            self.writer = csv.DictWriter(self.file, fieldnames=["line", "error", *row.keys()])
            self.writer.writeheader()
        self.writer.writerow({"line": line, "error": reason, **{k: v for k, v in row.items() if k}})

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class _Progress:
    def __init__(self, out, *, enabled: bool):
        self.out, self.enabled = out, enabled
        self.started = time.monotonic()
        self.rows = 0

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.rows / elapsed if elapsed > 0 else 0.0

    def update(self, rows: int) -> None:
        self.rows = rows
        if self.enabled:
            self.out.write(f"\r  {rows:,} rows  {self.rate():,.0f} rows/s", ending="")
            self.out.flush()

    def done(self, rows: int) -> None:
        self.rows = rows
        if self.enabled:
            self.out.write("")
