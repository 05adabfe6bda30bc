"""Stock from CSV, for operators (`manage.py import_stock`) and staff (the stock admin's
"Import counts" page): the rows of a file sent through the bulk service 1,000 at a time.

Columns: `sku`, `warehouse` (its code), `location` (a bin code; default: the warehouse's
default bin), then either `on_hand` (a count; `expected_on_hand` makes it compare-and-set) or
`quantity` (a signed delta), and optionally `reason` and `note`. A row that cannot be read
stops the import before anything is written; rows refused by validation or by the stock's
state are reported per line, the others applied (all or nothing with `atomic`, per batch).
"""

import io
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from django.db import transaction
from rest_framework.exceptions import ValidationError

from inventory.api import bulk
from inventory.api.serializers import AdjustRowSerializer, CountRowSerializer
from inventory.services.bulk import MAX_ROWS, StockRowResult, stock_bulk
from vectis.api.errors import flatten_errors
from vectis.csvimport import Lines, header_names, records
from warehouses.models import Location, Warehouse

COLUMNS = {
    "sku",
    "warehouse",
    "location",
    "on_hand",
    "expected_on_hand",
    "quantity",
    "reason",
    "note",
}
INTEGERS = ("on_hand", "expected_on_hand", "quantity")


@dataclass
class ImportReport:
    mode: str = ""  # counts | adjustments
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    stale: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # "line N (SKU): message"

    def add(self, line: int, sku: str | None, message: str) -> None:
        self.problems.append(f"line {line} ({sku or '?'}): {message}")


class ImportRejected(Exception):
    """`atomic` and a row was not applied: nothing was written (the report says why)."""

    def __init__(self, report: ImportReport):
        super().__init__(f"{report.failed + report.stale} row(s) not applied; nothing written.")
        self.report = report


def import_stock(
    account, stream: io.TextIOBase, *, atomic: bool = False, actor: str = ""
) -> ImportReport:
    """Apply the file's rows, 1,000 to a transaction (all of them in one with `atomic`, which
    writes nothing unless every row applies: ImportRejected). A file that cannot be read
    (Unreadable, a bad header: CommandError) stops the import before anything is written."""
    lines = Lines(stream)
    records_ = records(lines)
    names = header_names(next(records_, None), COLUMNS)
    if ("on_hand" in names) == ("quantity" in names):
        raise CommandError("The header needs an on_hand column (counts) or a quantity column.")
    report = ImportReport(mode="counts" if "on_hand" in names else "adjustments")
    rows = list(records_)  # read whole first: an unreadable row stops before any write
    codes = _codes(account, rows, names)
    with transaction.atomic() if atomic else nullcontext():
        for start in range(0, len(rows), MAX_ROWS):
            _batch(account, rows[start : start + MAX_ROWS], names, codes, report, actor)
        if atomic and (report.failed or report.stale):
            raise ImportRejected(report)
    return report


def _codes(account, rows, names) -> tuple[dict, dict]:
    column = names.index("warehouse") if "warehouse" in names else None
    wanted = {cells[column].strip() for _, cells, _ in rows if column is not None}
    warehouses = {w.code: w for w in Warehouse.objects.filter(account=account, code__in=wanted)}
    locations = {
        (loc.warehouse_id, loc.code): loc
        for loc in Location.objects.filter(warehouse__in=list(warehouses.values()))
    }
    return warehouses, locations


def _batch(account, batch, names, codes, report, actor) -> None:
    warehouses, locations = codes
    serializer = CountRowSerializer() if report.mode == "counts" else AdjustRowSerializer()
    items, lines_of, skus = [], [], []
    for line, cells, _ in batch:
        report.rows += 1
        raw = {name: cell.strip() for name, cell in zip(names, cells, strict=False) if cell.strip()}
        sku = raw.get("sku")
        warehouse = warehouses.get(raw.pop("warehouse", ""))
        if warehouse is None:
            report.failed += 1
            report.add(line, sku, "warehouse: no warehouse with this code.")
            continue
        body = {"sku": sku, "warehouse_id": warehouse.public_id}
        if "location" in raw:
            location = locations.get((warehouse.pk, raw.pop("location")))
            if location is None:
                report.failed += 1
                report.add(line, sku, "location: no bin with this code in the warehouse.")
                continue
            body["location_id"] = location.public_id
        for name in INTEGERS:
            if name in raw:
                body[name] = _integer(raw[name])
        body.update({k: raw[k] for k in ("reason", "note") if k in raw})
        try:
            items.append(serializer.run_validation(body))
        except ValidationError as exc:
            first = flatten_errors(exc.detail)[0]
            report.failed += 1
            report.add(line, sku, f"{first['field']}: {first['message']}")
            continue
        lines_of.append(line)
        skus.append(sku)
    if not items:
        return
    resolved, failed = bulk.rows_from(account, items)
    results = stock_bulk(
        rows=resolved, failed=failed, atomic=False, collection=report.mode, actor=actor
    )
    for result in results:
        _count(report, result, lines_of[result.index], skus[result.index])


def _count(report: ImportReport, result: StockRowResult, line: int, sku: str) -> None:
    if result.status == "error":
        report.failed += 1
        error = result.error
        report.add(line, sku, f"{error['field'] or 'row'}: {error['message']}")
    elif result.status == "stale":
        report.stale += 1
        report.add(line, sku, f"stale: on_hand is {result.on_hand}, not the expected one.")
    else:
        setattr(report, result.status, getattr(report, result.status) + 1)


def _integer(text: str):
    try:
        return int(text)
    except ValueError:
        return text  # the serializer names it
