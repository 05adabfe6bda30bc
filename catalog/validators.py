"""Catalog field rules shared by the API, bulk upsert and CSV import."""

import re

# \Z, not $: Python's $ also matches before a trailing newline ("ABC\n").
SKU_RE = re.compile(r"^[A-Za-z0-9._\-]{1,64}\Z")
HS_CODE_RE = re.compile(r"^\d{4}(\.?\d{2}){1,3}\Z")


def gtin_checksum_ok(code: str) -> bool:
    """UPC-A (12), EAN-13, EAN-8 and GTIN-14: the last digit is the mod-10 check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check
