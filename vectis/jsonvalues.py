"""What a JSON value must not hold to be stored in a jsonb column and rendered back: text with
a NUL or a lone surrogate (legal JSON escapes, refused by PostgreSQL), integers beyond 64 bits
(refused by the renderer). Used by the API's metadata field and by CSV imports."""

import re
from collections.abc import Iterator

UNSTORABLE_TEXT_RE = re.compile("[\x00\ud800-\udfff]")


def scalars(value) -> Iterator:
    """Every key and leaf of a parsed JSON value, without recursion."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        else:
            yield node


def has_unstorable_text(value) -> bool:
    return any(isinstance(s, str) and UNSTORABLE_TEXT_RE.search(s) for s in scalars(value))


def has_huge_integer(value) -> bool:
    return any(
        isinstance(s, int) and not isinstance(s, bool) and not -(2**63) < s < 2**63
        for s in scalars(value)
    )
