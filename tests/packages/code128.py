"""A Code 128 reader for tests: bar/space widths in modules → the encoded text (checksum
verified). Independent of how Vectis draws labels; it only knows the symbology's tables."""

import re

from reportlab.graphics.barcode.code128 import _patterns

_BY_PATTERN = {pattern: code for code, pattern in _patterns.items()}


def _pattern(widths: list[int]) -> str:
    return "".join(
        chr(ord("A") + w - 1) if i % 2 == 0 else chr(ord("a") + w - 1) for i, w in enumerate(widths)
    )


def decode(widths: list[int]) -> str:
    text = _pattern(widths)
    symbols = [text[i : i + 6] for i in range(0, len(text) - 7, 6)] + [text[-7:]]
    codes = [_BY_PATTERN[s] for s in symbols]
    *data, check, stop = codes
    assert stop == 106, "no stop symbol"
    assert (data[0] + sum(i * c for i, c in enumerate(data[1:], 1))) % 103 == check, "checksum"
    out, mode = [], {103: "A", 104: "B", 105: "C"}[data[0]]
    for code in data[1:]:
        if mode == "C" and code < 100:
            out.append(f"{code:02d}")
        elif code in (99, 100, 101):
            mode = {99: "C", 100: "B", 101: "A"}[code]
        elif mode == "B":
            out.append(chr(code + 32))
        else:
            out.append(chr(code + 32) if code < 64 else chr(code - 64))
    return "".join(out)


def widths_from_runs(runs: list[tuple[bool, float]]) -> list[int]:
    """(is_bar, length) runs from the first bar to the last → widths in modules."""
    module = min(length for _, length in runs)
    return [round(length / module) for _, length in runs]


def read_pdf_barcode(content_stream: bytes, bar_height: float) -> str:
    """The barcode drawn as filled rectangles of `bar_height` in a PDF page content stream."""
    rects = [
        tuple(float(v) for v in m.groups())
        for m in re.finditer(rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re", content_stream)
    ]
    bars = sorted((x, w) for x, _, w, h in rects if abs(h - bar_height) < 0.01)
    runs: list[tuple[bool, float]] = []
    for i, (x, w) in enumerate(bars):
        if i:
            prev_x, prev_w = bars[i - 1]
            runs.append((False, x - (prev_x + prev_w)))
        runs.append((True, w))
    return decode(widths_from_runs(runs))


def read_png_barcode(image) -> str:
    """Scan the rows of a 1-bit image; return the first row that reads as a valid symbol."""
    width, height = image.size
    pixels = image.load()
    for y in range(0, height, 2):
        row = [pixels[x, y] == 0 for x in range(width)]
        if True not in row:
            continue
        first, last = row.index(True), width - 1 - row[::-1].index(True)
        runs: list[tuple[bool, float]] = []
        for value in row[first : last + 1]:
            if runs and runs[-1][0] == value:
                runs[-1] = (value, runs[-1][1] + 1)
            else:
                runs.append((value, 1))
        try:
            return decode(widths_from_runs(runs))
        except (KeyError, AssertionError, IndexError, ValueError):
            continue  # text or a partial row
    raise AssertionError("no Code 128 symbol in the image")
