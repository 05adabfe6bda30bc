"""Reading CSV files for the import commands: line by line, every problem named by line.

A line that cannot be read as CSV text (bad UTF-8, NUL bytes, an over-long row or cell, broken
quoting, a read error) raises `Unreadable` with its line number; nothing is read ahead of the
row being imported, so memory stays bounded whatever the file's size.
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

from django.core.management.base import CommandError

from vectis.jsonvalues import has_unstorable_text
from vectis.serializers import METADATA_MAX_BYTES

# One record (all its physical lines) is read at most this far: a 50 MB cell is refused after
# 1 MiB, not loaded. csv's own limit (131,072 characters per cell) applies below it.
MAX_ROW_CHARS = 1024 * 1024
# With errors="surrogateescape" each undecodable byte becomes one U+DC80..U+DCFF character;
# strict UTF-8 never produces those, so finding one finds the bad byte.
UNREADABLE_RE = re.compile("[\x00\udc80-\udcff]")


class Unreadable(Exception):
    """A line of the file cannot be read as CSV text; the import stops and writes nothing."""

    def __init__(
        self, line: int, problem: str, *, column: int | None = None, row_start: int | None = None
    ):
        where = f"line {line}" + (f", column {column}" if column else "")
        if row_start is not None and row_start != line:
            where += f" (in the row starting at line {row_start})"
        super().__init__(f"{where}: {problem}")


def header_names(record, columns) -> list[str]:
    """The header row's column names, stripped; an empty file, an unknown or a repeated
    column stops the import before anything is read."""
    if record is None:
        raise CommandError("The file is empty or has no header row.")
    names = [f.strip() for f in record[1]]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise CommandError(f"Unknown column(s): {', '.join(n or repr(n) for n in unknown)}")
    repeated = sorted(n for n, count in Counter(names).items() if count > 1)
    if repeated:
        raise CommandError(f"Repeated column(s): {', '.join(repeated)}")
    return names


def _open(path: str):
    """The file as a binary stream (decoding happens line by line, to name a bad line)."""
    return open(path, "rb")


def open_text(path: str) -> io.TextIOWrapper:
    try:
        raw = _open(path)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
    return _text(raw)


def stdin_text():
    buffer = getattr(sys.stdin, "buffer", None)
    return _text(buffer) if buffer is not None else sys.stdin


def close(stream, *, stdin: bool) -> None:
    if not stdin:
        stream.close()
    elif isinstance(stream, io.TextIOWrapper):
        stream.detach()  # leave sys.stdin open


def _text(raw) -> io.TextIOWrapper:
    # newline="" keeps \r\n inside quoted cells for csv, and still splits lines on \r, \n
    # and \r\n; surrogateescape turns bad bytes into markers instead of an exception raised
    # at some unknown line by a read-ahead.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


class Lines:
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


def records(lines: Lines) -> Iterator[tuple[int, list[str], int]]:
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


class ErrorSink:
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


class Progress:
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


# --- cells ----------------------------------------------------------------------------------------
METADATA_MAX_DEPTH = 32
# Pretty-printed JSON may be larger than the 16 kB the serializer allows once compacted.
METADATA_MAX_CHARS = 4 * METADATA_MAX_BYTES


class CellProblem(Exception):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def metadata_cell(value: str) -> dict:
    if len(value) > METADATA_MAX_CHARS:
        raise CellProblem("metadata", f"metadata must be at most {METADATA_MAX_BYTES // 1024} kB.")
    if _nesting_exceeds(value, METADATA_MAX_DEPTH):
        raise CellProblem(
            "metadata", f"metadata may be nested at most {METADATA_MAX_DEPTH} levels deep."
        )
    try:
        parsed = json.loads(value, parse_constant=_no_constant, parse_float=_finite_float)
    except ValueError as exc:
        raise CellProblem("metadata", f"metadata is not valid JSON ({exc}).") from None
    if not isinstance(parsed, dict):
        raise CellProblem("metadata", "metadata must be a JSON object.")
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
    raise CellProblem("metadata", f"metadata may not contain {name}: JSON has no such number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise CellProblem("metadata", f"metadata numbers must be finite ({text[:40]} is not).")
    return number


def _check_storable(value) -> None:
    """PostgreSQL's jsonb refuses NUL characters and unpaired surrogates (legal JSON escapes)."""
    if has_unstorable_text(value):
        raise CellProblem(
            "metadata", "metadata text may not contain NUL (\\u0000) or a lone surrogate."
        )
