"""Serializer fields shared by API serializers and resource representations."""

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
