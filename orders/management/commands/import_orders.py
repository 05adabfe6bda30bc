"""Import orders from CSV: one row per order line, all or nothing, in bounded memory.

Consecutive rows with the same channel and external_id are one order; its order-level cells
(ship_to_*, currency, totals, …) come from its first row, and a later row may repeat them or
leave them empty, but not change them. Each order is validated by the API's own serializer
(`POST /v1/orders`) and accepted by the same rules as intake (orders.services.imports), in
batches written with COPY on PostgreSQL. The whole file is one transaction: a row that cannot
be read stops the import; rejected orders are all reported and then nothing is written, unless
`--skip-invalid` asks for the other orders.
"""

import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from rest_framework.exceptions import ErrorDetail
from rest_framework.exceptions import ValidationError as DRFValidationError

from orders.api.serializers import MAX_LINES, OrderCreateSerializer
from orders.services.imports import orders_import
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

ADDRESS = ("name", "company", "address1", "address2", "city", "state", "postal_code", "country")
ADDRESS += ("phone", "email")
ORDER_COLUMNS = {
    "channel",
    "external_id",
    "currency",
    "placed_at",
    "shipping_method",
    "notes",
    "tags",
    "metadata",
    "priority",
    "hold",
    "hold_reason",
    "shipping",
    "tax",
    "discount",
    "payment_provider",
    "payment_reference",
    "payment_status",
    *(f"ship_to_{part}" for part in ADDRESS),
}
LINE_COLUMNS = {"sku", "quantity", "price"}
COLUMNS = ORDER_COLUMNS | LINE_COLUMNS
REQUIRED = ("external_id", "sku", "quantity")
SHOWN_REJECTS = 50
INTEGER_RE = re.compile(r"-?[0-9]{1,18}")
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# The API field an error names → the CSV column holding it.
FIELD_COLUMNS = {
    **{f"ship_to.{part}": f"ship_to_{part}" for part in ADDRESS},
    **{f"totals.{part}": part for part in ("shipping", "tax", "discount")},
    **{f"payment.{part}": f"payment_{part}" for part in ("provider", "reference", "status")},
}


@dataclass
class _Order:
    line: int  # where its first row starts
    key: tuple[str, str]
    cells: dict  # the first row's cells
    lines: list[int] = field(default_factory=list)  # each item's row
    items: list[dict] = field(default_factory=list)
    problem: tuple[str | None, str, int] | None = None  # (column, message, line): refused
    size: int = 0
    rows: int = 0


class Command(BaseCommand):
    help = (
        "Create orders from a CSV file (UTF-8, header row required), one row per order line: "
        "consecutive rows with the same channel and external_id are one order. Columns: "
        + ", ".join(sorted(COLUMNS))
        + ". Empty cells leave a field unset; `tags` is 'a|b|c', `metadata` a JSON object. "
        "Orders are checked like POST /v1/orders. All or nothing: a row that cannot be read "
        "stops the import, and any rejected order means nothing is written (unless "
        "--skip-invalid). Exit status 1 when any order was rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, optional BOM), or - for stdin")
        parser.add_argument("--account", required=True, help="Account id (acc_…) or exact name")
        parser.add_argument(
            "--channel", help="Channel of orders whose row has no channel cell (or no column)"
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate; write nothing")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid orders even when some are rejected",
        )
        parser.add_argument(
            "--skip-existing",
            action="store_true",
            help="Orders whose channel and external_id exist already are skipped, not rejected "
            "(to run an import again)",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="Orders per batch")
        parser.add_argument("--errors", help="Write every rejected row to this CSV file")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        account = account_by_id_or_name(options["account"])
        if account is None:
            raise CommandError(f"No account with id or name {options['account']!r}")
        if not 1 <= options["batch_size"] <= 5000:
            raise CommandError("--batch-size must be between 1 and 5000")
        from_stdin = options["file"] == "-"
        stream = stdin_text() if from_stdin else open_text(options["file"])
        try:
            errors_out = ErrorSink(options["errors"], source=options["file"])
        except CommandError:
            close(stream, stdin=from_stdin)
            raise
        progress = Progress(self.stderr, enabled=not options["no_progress"])
        self.totals = Counter(created=0, existing=0, rejected=0, rows=0)
        self.shown: list[str] = []
        self.errors_out = errors_out
        keep = False
        try:
            lines = Lines(stream)
            rows = records(lines)
            header = _check_header(next(rows, None), channel=options["channel"])
            validator = OrderCreateSerializer()
            with transaction.atomic():
                for batch in _batches(_orders(rows, header, options["channel"]), options):
                    self._import_batch(account, batch, validator, options)
                    progress.update(self.totals["rows"])
                keep = not options["dry_run"] and (
                    self.totals["rejected"] == 0 or options["skip_invalid"]
                )
                if not keep:
                    transaction.set_rollback(True)
        except Unreadable as exc:
            raise CommandError(f"{exc}. Nothing was imported.") from None
        finally:
            progress.done(self.totals["rows"])
            errors_out.close()
            close(stream, stdin=from_stdin)
        self._report(keep, options, progress)

    def _import_batch(self, account, batch: list[_Order], validator, options) -> None:
        self.rejects: list[tuple[int, _Order, str | None, str]] = []
        self._validate_and_write(account, batch, validator, options)
        for line, order, column, message in sorted(self.rejects, key=lambda r: r[0]):
            self._report_reject(order, column, message, line)

    def _validate_and_write(self, account, batch: list[_Order], validator, options) -> None:
        valid: list[tuple[_Order, dict]] = []
        for order in batch:
            self.totals["rows"] += order.rows
            if order.problem:
                self._reject(order, *order.problem)
                continue
            try:
                data = validator.run_validation(_payload(order))
            except DRFValidationError as exc:
                self._reject(order, *_located(order, exc.detail))
                continue
            valid.append((order, data))
        if not valid:
            return
        try:
            with transaction.atomic():
                outcomes = orders_import(
                    account=account,
                    orders=[data for _, data in valid],
                    actor="import_orders",
                    skip_existing=options["skip_existing"],
                )
        except DatabaseError as exc:
            first, last = valid[0][0].line, valid[-1][0].line
            raise CommandError(
                f"lines {first}-{last}: the database refused the batch ({exc}). "
                "Nothing was imported."
            ) from None
        for outcome in outcomes:
            order = valid[outcome.index][0]
            if outcome.status == "error":
                error = outcome.error
                column, line = _column_and_line(order, error["field"])
                self._reject(order, column, error["message"], line)
            else:
                self.totals[outcome.status] += 1

    def _reject(self, order: _Order, column: str | None, message: str, line: int) -> None:
        self.rejects.append((line, order, column, message))

    def _report_reject(self, order: _Order, column: str | None, message: str, line: int) -> None:
        self.totals["rejected"] += 1
        reason = f"{column}: {message}" if column else message
        self.errors_out.write(line, order.cells, reason)
        if len(self.shown) < SHOWN_REJECTS:
            channel, external_id = order.key
            self.shown.append(f"  line {line} ({channel}:{external_id or '?'}): {reason}")

    def _report(self, keep: bool, options, progress: Progress) -> None:
        t = self.totals
        verb = "" if keep else "would be "
        existing = f", {t['existing']} already present" if options["skip_existing"] else ""
        self.stdout.write(
            f"{t['created']} order(s) {verb}created{existing}, {t['rejected']} rejected "
            f"({t['rows']:,} rows, {progress.rate():,.0f} rows/s)"
        )
        if self.shown:
            self.stdout.write("Rejected orders:")
            self.stdout.write("\n".join(self.shown))
            if t["rejected"] > len(self.shown):
                self.stdout.write(f"  … and {t['rejected'] - len(self.shown)} more (see --errors)")
        if t["rejected"] and not keep and not options["dry_run"]:
            self.stdout.write(
                f"Nothing was imported: {t['rejected']} order(s) rejected. Fix them and run "
                "again, or pass --skip-invalid to import the other orders."
            )
        if t["rejected"]:
            sys.exit(1)


def _check_header(record, *, channel: str | None) -> list[str]:
    names = header_names(record, COLUMNS)
    missing = [n for n in REQUIRED if n not in names]
    if "channel" not in names and not channel:
        missing.append("channel (or --channel)")
    if missing:
        raise CommandError(f"The header must have the column(s): {', '.join(missing)}")
    return names


def _orders(rows, header: list[str], default_channel: str | None):
    """Orders (their rows gathered) in file order; one order in memory at a time."""
    current: _Order | None = None
    seen: dict[tuple[str, str], int] = {}  # every order's key → its first line
    width = len(header)
    for line, cells, size in rows:
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        key = (row.get("channel") or default_channel or "", row.get("external_id", ""))
        if current is not None and key == current.key:
            current.size += size
            _add_row(current, line, row, cells, width)
            continue
        if current is not None:
            yield current
        current = _Order(line, key, row, size=size)
        if key in seen and key[1]:
            current.problem = (
                "external_id",
                f"the rows of an order must be consecutive; this order started at line {seen[key]}",
                line,
            )
        else:
            seen[key] = line
        _add_row(current, line, row, cells, width)
    if current is not None:
        yield current


def _add_row(order: _Order, line: int, row: dict, cells: list, width: int) -> None:
    order.rows += 1
    if order.problem:
        return
    if len(cells) > width:
        order.problem = (None, f"{len(cells)} cells, but the header has {width} columns.", line)
        return
    if len(order.items) == MAX_LINES:
        order.problem = (None, f"An order has at most {MAX_LINES} lines.", line)
        return
    if order.items:  # a later row: order-level cells repeat the first row's or stay empty
        for column in ORDER_COLUMNS:
            value = row.get(column, "")
            if value and value != order.cells.get(column, "") and column != "channel":
                order.problem = (
                    column,
                    f"differs from the order's first row (line {order.line}); order-level "
                    "cells must repeat it or be empty",
                    line,
                )
                return
    item: dict = {"sku": row.get("sku", "")}
    quantity = row.get("quantity", "")
    item["quantity"] = int(quantity) if INTEGER_RE.fullmatch(quantity) else quantity
    if row.get("price"):
        item["price"] = row["price"]
    order.items.append(item)
    order.lines.append(line)


def _batches(orders, options):
    batch = []
    for order in orders:
        batch.append(order)
        if len(batch) == options["batch_size"]:
            yield batch
            batch = []
    if batch:
        yield batch


def _payload(order: _Order) -> dict:
    """The order as a POST /v1/orders body, from its cells (CSV text typed where the API
    takes JSON numbers, booleans and lists)."""
    cells = order.cells
    data: dict = {"channel": order.key[0], "external_id": order.key[1], "items": order.items}
    ship_to = {part: cells[f"ship_to_{part}"] for part in ADDRESS if cells.get(f"ship_to_{part}")}
    data["ship_to"] = ship_to
    for column in ("currency", "placed_at", "shipping_method", "notes", "hold_reason"):
        if cells.get(column):
            data[column] = cells[column]
    if cells.get("tags"):
        data["tags"] = [t.strip() for t in cells["tags"].split("|")]
    if cells.get("metadata"):
        try:
            data["metadata"] = metadata_cell(cells["metadata"])
        except CellProblem as problem:
            data["metadata"] = problem.message  # refused by the serializer, naming the column
    if cells.get("priority"):
        value = cells["priority"]
        data["priority"] = int(value) if INTEGER_RE.fullmatch(value) else value
    if cells.get("hold"):
        data["hold"] = BOOLEANS.get(cells["hold"].lower(), cells["hold"])
    totals = {part: cells[part] for part in ("shipping", "tax", "discount") if cells.get(part)}
    if totals:
        data["totals"] = totals
    payment = {
        part: cells[f"payment_{part}"]
        for part in ("provider", "reference", "status")
        if cells.get(f"payment_{part}")
    }
    if payment:
        data["payment"] = payment
    return data


def _located(order: _Order, detail) -> tuple[str | None, str, int]:
    """The first error of a serializer's detail as (column, message, line)."""
    path, message = _first_error(detail)
    column, line = _column_and_line(order, path)
    return column, message, line


def _first_error(detail, path: str = "") -> tuple[str, str]:
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        if key == "non_field_errors":
            return _first_error(value, path)
        if isinstance(key, int):  # a list serializer's errors, by item
            return _first_error(value, f"{path}[{key}]")
        return _first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, ErrorDetail | str):
                return path, str(value)
            if value:  # a list of items: {} marks the valid ones
                return _first_error(value, f"{path}[{index}]")
    return path, str(detail)


def _column_and_line(order: _Order, path: str | None) -> tuple[str | None, int]:
    if not path:
        return None, order.line
    match = re.fullmatch(r"items\[(\d+)\](?:\.(\w+))?", path)
    if match:
        index = int(match.group(1))
        line = order.lines[index] if index < len(order.lines) else order.line
        return match.group(2) or "sku", line
    if path == "items":
        return "sku", order.line
    return FIELD_COLUMNS.get(path, path), order.line
