"""The fields every request serializer is built from, and the one parser of date-times.

JSON has types, and a request is understood in them: a string field takes a JSON string (not
`123`), an integer field a JSON integer (not `1.0`, `"1"`, `1e2` or `true`), a boolean field
`true`/`false`, money a JSON number or a plain decimal string (`29.99`, `"29.99"`: not `"1E+2"`,
`"-0"`, `" 1"` or more than 4 decimals), a date-time an RFC 3339 string with an offset.
Currencies and countries are ISO codes. Anything else is a 400 naming the field.

Request serializers use these instead of DRF's own (a test walks every request serializer of
the schema to keep it so); response serializers may use either.
"""

import math
import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from django.core.validators import RegexValidator
from rest_framework import serializers

from vectis.countries import COUNTRY_CODES
from vectis.currencies import CURRENCY_CODES

# A metadata object's size limit, compact JSON (the API's and the imports').
METADATA_MAX_BYTES = 16 * 1024


def format_money(value: Decimal | None) -> str | None:
    """At least two decimals, no trailing zeros beyond them: 29.99, 10.00, 0.125."""
    if value is None:
        return None
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{value:.{places}f}"


# --- strings ----------------------------------------------------------------------------------
class _JSONString:
    """Mixin for DRF's string fields: a JSON string only (DRF would also take 123 as "123")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be a string.", code="invalid")
        return super().to_internal_value(data)


class CharField(_JSONString, serializers.CharField):
    pass


class EmailField(_JSONString, serializers.EmailField):
    pass


class URLField(_JSONString, serializers.URLField):
    pass


class _ISOCode(CharField):
    codes: frozenset[str] = frozenset()
    length = 0
    standard = ""
    error_code = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.length)
        kwargs.setdefault("min_length", self.length)
        super().__init__(**kwargs)
        # The codes, in either case, as the schema's pattern (to_internal_value answers first).
        self.validators.append(RegexValidator(_any_case(self.codes), code=self.error_code))

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if value not in self.codes:
            shown = value if len(value) <= 8 else value[:8] + "…"
            raise serializers.ValidationError(
                f"{shown!r} is not an {self.standard} code.", code=self.error_code
            )
        return value


def _any_case(codes: frozenset[str]) -> str:
    """A regex matching exactly these codes in any letter case ("[Uu][Ss]|…"), for JSON Schema
    (which has no case-insensitive flag)."""
    spelled = ("".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in code) for code in codes)
    return "^(?:" + "|".join(sorted(spelled)) + ")$"


class CountryField(_ISOCode):
    codes, length = COUNTRY_CODES, 2
    standard, error_code = "ISO 3166-1 alpha-2 country", "invalid_country"


class CurrencyField(_ISOCode):
    codes, length = CURRENCY_CODES, 3
    standard, error_code = "ISO 4217 currency", "invalid_currency"


# --- numbers and booleans ---------------------------------------------------------------------
class IntegerField(serializers.IntegerField):
    """A JSON integer: not 1.0, "1", 1e2 or true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Must be a whole number (a JSON integer).", "invalid")
        return data


class BooleanField(serializers.BooleanField):
    """JSON true or false: not "true", 1 or "yes"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError("Must be true or false.", code="invalid")
        return data


_PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


class DecimalField(serializers.DecimalField):
    """A JSON number, or a plain decimal string ("12.50"): no exponent, sign "+", spaces, NaN,
    Infinity or negative zero. Precision and range as for DRF's DecimalField."""

    def validate_empty_values(self, data):
        # only JSON null is "no value" (DRF also reads "" and "  " as null)
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data):
        message = 'Must be a number, or a decimal string like "12.50".'
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            raise serializers.ValidationError(message, code="invalid")
        if isinstance(data, str) and not _PLAIN_DECIMAL.fullmatch(data):
            raise serializers.ValidationError(message, code="invalid")
        if isinstance(data, float) and not math.isfinite(data):
            raise serializers.ValidationError(message, code="invalid")
        try:
            value = Decimal(repr(data) if isinstance(data, float) else str(data))
        except InvalidOperation:
            raise serializers.ValidationError(message, code="invalid") from None
        if value.is_zero() and value.is_signed():
            raise serializers.ValidationError("Negative zero is not a value.", code="invalid")
        return super().to_internal_value(value)


class MoneyField(DecimalField):
    """Money: non-negative, up to 4 decimal places and 10 integer digits; rendered minimally."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)

    def to_representation(self, value):
        return format_money(Decimal(value)) if value is not None else None


# --- date-times -------------------------------------------------------------------------------
# RFC 3339 (a profile of ISO 8601): full date, "T", time with seconds, up to 6 fractional digits
# (what is stored and rendered back) and an offset. Years from 1000, so that every value is
# rendered back as it was understood ("%Y" does not pad years before 1000).
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([Zz]|[+-]\d{2}:\d{2})"
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MIN_YEAR = 1000
DATE_TIME_HELP = "an RFC 3339 date-time with an offset, like 2026-01-31T10:00:00Z"
OUT_OF_RANGE = f"Out of range: years {MIN_YEAR} to 9999, in UTC as well."


def parse_date_time(value, *, allow_date: bool = False) -> datetime:
    """An RFC 3339 date-time as an aware UTC datetime (with `allow_date`, also `2026-01-31`,
    midnight UTC). ValueError, with a message for the client, for anything else."""
    expected = DATE_TIME_HELP + (" or a date, like 2026-01-31" if allow_date else "")
    if not isinstance(value, str):
        raise ValueError(f"Use {expected}.")
    date_only = _DATE.fullmatch(value) if allow_date else None
    match = date_only or _RFC3339.fullmatch(value)
    if match is None:
        if re.fullmatch(r"[^ ]+ \d{2}:\d{2}", value):
            raise ValueError(f"Use {expected}; in a URL, write a '+' offset as %2B.")
        raise ValueError(f"Use {expected}.")
    if date_only:
        year, month, day = (int(g) for g in match.groups())
        hour = minute = second = micro = 0
        tz = UTC
    else:
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        micro = int((match.group(7) or "").ljust(6, "0"))
        offset = match.group(8)
        if offset in ("Z", "z"):
            tz = UTC
        else:
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                raise ValueError(f"{offset} is not a UTC offset (at most ±23:59).")
            sign = -1 if offset[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        parsed = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        raise ValueError("Not a real date and time.") from None
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_RANGE) from None
    if year < MIN_YEAR or utc.year < MIN_YEAR:
        raise ValueError(OUT_OF_RANGE)
    return utc


class DateTimeField(serializers.DateTimeField):
    """An RFC 3339 date-time string in; UTC with `Z` out (REST_FRAMEWORK DATETIME_FORMAT)."""

    def to_internal_value(self, value):
        try:
            return parse_date_time(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None


# --- representations --------------------------------------------------------------------------
_representers = threading.local()


def represent(serializer_class: type[serializers.Serializer], instance) -> dict:
    """`serializer_class(instance).data`, on one serializer per thread and class: building a
    serializer binds a copy of every field, nested ones too (~0.65 ms of the 0.74 ms an order's
    representation took). For representation serializers that read no context."""
    cache = getattr(_representers, "serializers", None)
    if cache is None:
        cache = _representers.serializers = {}
    serializer = cache.get(serializer_class)
    if serializer is None:
        serializer = cache[serializer_class] = serializer_class()
    return serializer.to_representation(instance)


class AddressFields(serializers.Serializer):
    """The parts of an address (a ship-to, a warehouse's): the API's AddressSerializer takes
    them in, AddressRepresentation shows them."""

    name = CharField(max_length=200, required=False, allow_blank=True)
    company = CharField(max_length=200, required=False, allow_blank=True)
    address1 = CharField(max_length=200)
    address2 = CharField(max_length=200, required=False, allow_blank=True)
    city = CharField(max_length=100)
    state = CharField(max_length=100, required=False, allow_blank=True)
    postal_code = CharField(max_length=20)
    country = CountryField()
    phone = CharField(max_length=40, required=False, allow_blank=True)
    email = EmailField(required=False, allow_blank=True)


class AddressRepresentation(AddressFields):
    """An address as stored, in answers: parts never set (a warehouse made in the admin or by
    the seed without a street, say) are left out rather than failing the answer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
