"""Import products from CSV: all or nothing, in bounded memory.

The whole file is imported in one transaction, written in batches: Python holds one batch at a
time, and any row that cannot be read (bad UTF-8, NUL bytes, an over-long row or cell, broken
quoting, a read error) stops the import with the line number and rolls everything back. Rows
that can be read but are invalid are all reported, and then nothing is written either, unless
`--skip-invalid` asks to import the other rows.
"""

import csv
import io
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from catalog import services
from catalog.api import bulk
from catalog.api.serializers import MAX_COMPONENTS, METADATA_MAX_BYTES
from vectis.accounts.models import Account
from vectis.accounts.selectors import account_by_id_or_name
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
# One record (all its physical lines) is read at most this far: a 50 MB cell is refused after
# 1 MiB, not loaded. csv's own limit (131,072 characters per cell) applies below it.
MAX_ROW_CHARS = 1024 * 1024
# A batch is flushed at --batch-size rows or at this many characters, whichever comes first.
MAX_BATCH_CHARS = 16 * 1024 * 1024
METADATA_MAX_DEPTH = 32
# Pretty-printed JSON may be larger than the 16 kB the serializer allows once compacted.
METADATA_MAX_CHARS = 4 * METADATA_MAX_BYTES
QUANTITY_RE = re.compile(r"[0-9]{1,9}")
# With errors="surrogateescape" each undecodable byte becomes one U+DC80..U+DCFF character;
# strict UTF-8 never produces those, so finding one finds the bad byte.
UNREADABLE_RE = re.compile("[\x00\udc80-\udcff]")
UNSTORABLE_TEXT_RE = re.compile("[\x00\ud800-\udfff]")


class Unreadable(Exception):
    """A line of the file cannot be read as CSV text; the import stops and writes nothing."""

    def __init__(
        self, line: int, problem: str, *, column: int | None = None, row_start: int | None = None
    ):
        where = f"line {line}" + (f", column {column}" if column else "")
        if row_start is not None and row_start != line:
            where += f" (in the row starting at line {row_start})"
        super().__init__(f"{where}: {problem}")


class _CellProblem(Exception):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field, message


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
        stream = _stdin() if from_stdin else _open_text(options["file"])
        try:
            errors_out = _ErrorSink(options["errors"], source=options["file"])
        except CommandError:
            _close(stream, stdin=from_stdin)
            raise
        progress = _Progress(self.stderr, enabled=not options["no_progress"])
        totals = {"created": 0, "updated": 0, "rejected": 0}
        shown: list[str] = []
        try:
            lines = _Lines(stream)
            records = _records(lines)
            header = _check_header(next(records, None))
            with transaction.atomic():
                rows = _rows(records, header)
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
            _close(stream, stdin=from_stdin)

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
                    raise _CellProblem(None, row.problem)
                readable.append((position, _to_item(row.cells)))
            except _CellProblem as problem:
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


def _open(path: str):
    """The file as a binary stream (decoding happens line by line, to name a bad line)."""
    return open(path, "rb")


def _open_text(path: str) -> io.TextIOWrapper:
    try:
        raw = _open(path)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    return _text(raw)


def _stdin():
    buffer = getattr(sys.stdin, "buffer", None)
    return _text(buffer) if buffer is not None else sys.stdin


def _close(stream, *, stdin: bool) -> None:
    if not stdin:
        stream.close()
    elif isinstance(stream, io.TextIOWrapper):
        stream.detach()  # leave sys.stdin open


def _text(raw) -> io.TextIOWrapper:
    # newline="" keeps \r\n inside quoted cells for csv, and still splits lines on \r, \n
    # and \r\n; surrogateescape turns bad bytes into markers instead of an exception raised
    # at some unknown line by a read-ahead.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


class _Lines:
    """The physical lines of a text stream, each checked before csv parses it."""

    def __init__(self, stream):
        self.stream = stream
        self.line = 0  # lines read so far
        self.record_start = 1
        self.record_chars = 0

    def start_record(self) -> None:
        self.record_start, self.record_chars = self.line + 1, 0

    def unreadable(self, problem: str, column: int | None = None) -> Unreadable:
        return Unreadable(self.line, problem, column=column, row_start=self.record_start)

    def quote_hint(self) -> str:
        # A quote left open makes one "row" of the rest of the file.
        return "; is a quote not closed?" if self.record_start != self.line else ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            text = self.stream.readline(MAX_ROW_CHARS - self.record_chars + 1)
        except OSError as exc:
            self.line += 1
            raise self.unreadable(f"the file could not be read ({exc.strerror or exc})") from None
        if not text:
            raise StopIteration
        self.line += 1
        self.record_chars += len(text)
        if self.record_chars > MAX_ROW_CHARS:
            raise self.unreadable(
                f"the row is longer than {MAX_ROW_CHARS:,} characters{self.quote_hint()}"
            )
        bad = UNREADABLE_RE.search(text)
        if bad is None:
            return text
        if self.line == 1 and text[:2] in ("\udcff\udcfe", "\udcfe\udcff"):
            raise self.unreadable("the file is UTF-16; save it as UTF-8")
        column = bad.start() + 1
        if bad.group() == "\x00":
            raise self.unreadable("a NUL byte; the file must be UTF-8 text", column)
        byte = ord(bad.group()) - 0xDC00
        raise self.unreadable(f"not valid UTF-8 (byte 0x{byte:02x}); save it as UTF-8", column)


def _records(lines: _Lines) -> Iterator[tuple[int, list[str], int]]:
    """(first line, cells, characters) per CSV record, blank lines skipped."""
    # strict: a stray quote, or a quote still open at the end of the file, is an error rather
    # than a cell silently holding the rest of the file.
    reader = csv.reader(lines, strict=True)
    while True:
        lines.start_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if message.startswith("field larger than field limit"):
                limit = csv.field_size_limit()
                message = f"a cell is longer than {limit:,} characters{lines.quote_hint()}"
            elif message == "unexpected end of data":
                message = "the file ends inside a quoted cell"
            else:
                message = f"not valid CSV ({message})"
            raise lines.unreadable(message) from None
        if cells:
            yield lines.record_start, cells, lines.record_chars


def _check_header(record) -> list[str]:
    if record is None:
        raise CommandError("The file is empty or has no header row.")
    names = [f.strip() for f in record[1]]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise CommandError(f"Unknown column(s): {', '.join(n or repr(n) for n in unknown)}")
    repeated = sorted(n for n, count in Counter(names).items() if count > 1)
    if repeated:
        raise CommandError(f"Repeated column(s): {', '.join(repeated)}")
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
            item["metadata"] = _metadata(value)
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
        raise _CellProblem("components", f"A kit has at most {MAX_COMPONENTS} components.")
    parts = []
    for position, chunk in enumerate(chunks, start=1):
        sku, colon, quantity = (part.strip() for part in chunk.partition(":"))
        if not sku or (colon and not QUANTITY_RE.fullmatch(quantity)):
            raise _CellProblem(
                "components",
                f"Expected 'SKU:QTY|SKU:QTY' with whole quantities; entry {position} is "
                f"{chunk.strip()[:40]!r}.",
            )
        parts.append({"sku": sku, "quantity": int(quantity) if colon else 1})
    return parts


def _metadata(value: str) -> dict:
    if len(value) > METADATA_MAX_CHARS:
        raise _CellProblem("metadata", f"metadata must be at most {METADATA_MAX_BYTES // 1024} kB.")
    if _nesting_exceeds(value, METADATA_MAX_DEPTH):
        raise _CellProblem(
            "metadata", f"metadata may be nested at most {METADATA_MAX_DEPTH} levels deep."
        )
    try:
        parsed = json.loads(value, parse_constant=_no_constant, parse_float=_finite_float)
    except ValueError as exc:
        raise _CellProblem("metadata", f"metadata is not valid JSON ({exc}).") from None
    if not isinstance(parsed, dict):
        raise _CellProblem("metadata", "metadata must be a JSON object.")
    _check_storable(parsed)
    return parsed


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays/objects at once (brackets inside
    strings do not count), without parsing it: json.loads would recurse once per level."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _no_constant(name: str):
    raise _CellProblem("metadata", f"metadata may not contain {name}: JSON has no such number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _CellProblem("metadata", f"metadata numbers must be finite ({text[:40]} is not).")
    return number


def _check_storable(value) -> None:
    """PostgreSQL's jsonb refuses NUL characters and unpaired surrogates (legal JSON escapes)."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, str) and UNSTORABLE_TEXT_RE.search(current):
            raise _CellProblem(
                "metadata", "metadata text may not contain NUL (\\u0000) or a lone surrogate."
            )


def _reason(error: dict) -> str:
    return f"{error['field']}: {error['message']}" if error.get("field") else error["message"]


class _ErrorSink:
    def __init__(self, path: str | None, *, source: str):
        self.file = None
        self.writer = None
        if not path:
            return
        if source != "-" and os.path.exists(path) and _same_file(path, source):
            raise CommandError("--errors must not name the input file.")
        try:
            self.file = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from exc

    def write(self, line: int, row: dict, reason: str) -> None:
        if self.file is None:
            return
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.file, fieldnames=["line", "error", *(k for k in row if k)]
            )
            self.writer.writeheader()
        self.writer.writerow({"line": line, "error": reason, **{k: v for k, v in row.items() if k}})

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


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
