"""JSON rendering with orjson: several times faster than the standard library on the hot
paths (order create, lists), same output for the types DRF serializers produce."""

from decimal import Decimal

import orjson
from rest_framework.renderers import JSONRenderer


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ORJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        try:
            return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            # orjson stops at integers beyond 64 bits; the standard library does not (stored
            # data from before they were refused must still render).
            return super().render(data, accepted_media_type, renderer_context)
