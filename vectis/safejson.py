"""JSON from outside (request bodies, the token endpoint, CSV cells), parsed with a bound on depth.

Python's json module recurses once per nesting level and fails with RecursionError near
1,000 levels, deep inside a request. `loads` measures the nesting first, without recursion
and in linear time, and refuses anything deeper than VECTIS_JSON_MAX_DEPTH (default 32) with
JSONDepthError, a ValueError like every other malformed-JSON error.
"""

import json
import re
from itertools import accumulate

from django.conf import settings

DEFAULT_MAX_DEPTH = 32

# A JSON string, or the rest of the text after an unterminated one. Possessive, so that no
# input makes it backtrack: the scan stays linear.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?')
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONDepthError(ValueError):
    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        super().__init__(
            f"JSON is nested too deep: at most {max_depth} levels of arrays and objects."
        )


def max_depth_setting() -> int:
    return getattr(settings, "VECTIS_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in `text` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON.")


def loads(text: str | bytes, *, max_depth: int | None = None):
    """json.loads for untrusted text: at most `max_depth` levels, no NaN or Infinity."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    limit = max_depth_setting() if max_depth is None else max_depth
    # Fewer opening brackets than the limit cannot nest deeper than it: skip the scan.
    if text.count("[") + text.count("{") > limit and nesting_depth(text) > limit:
        raise JSONDepthError(limit)
    return json.loads(text, parse_constant=_refuse_constant)
