"""The JSON request parser: DRF's, with a bound on nesting depth."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from vectis import safejson


class JSONParser(parsers.JSONParser):
    """Too deep is a 400 validation_error (code `too_deep`); malformed is 400 malformed_json."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return safejson.loads(stream.read().decode(encoding))
        except safejson.JSONDepthError as exc:
            raise ValidationError([ErrorDetail(str(exc), code="too_deep")]) from None
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None
