"""Serializer fields shared by API serializers and resource representations, and the one parser
of the date-times the API accepts (bodies and filters alike)."""

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from rest_framework import serializers


def format_money(value: Decimal | None) -> str | None:
    """At least two decimals, no trailing zeros beyond them: 29.99, 10.00, 0.125."""
    if value is None:
        return None
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{value:.{places}f}"


class MoneyField(serializers.DecimalField):
    """Money as a decimal string; up to 4 decimal places in, rendered minimally out."""

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
