"""An order's money, in one place: subtotal = Σ price * units not cancelled; total = subtotal
+ shipping + tax - discount.

Both must fit the money columns (400 `amount_too_large`). A negative total is the client's
own figures disagreeing (a discount larger than the order): refused with 400
`negative_total` when the client sets them (create, line edits). When units are cancelled
later, the discount covers at most what is left: the total stops at 0 rather than the
cancellation being refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from vectis.errors import ValidationFailed

# Money columns hold 14 digits with 4 decimals.
MAX_MONEY = Decimal("9999999999")


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    total: Decimal


def compute(
    lines: Iterable[tuple[Decimal, int]],
    *,
    shipping=0,
    tax=0,
    discount=0,
    negative_field: str | None = None,
) -> Totals:
    """Totals of (unit price, units) pairs. `negative_field`: refuse a negative total with
    that field; None: a negative total is 0 (after a cancellation)."""
    subtotal = sum((Decimal(price or 0) * units for price, units in lines), Decimal(0))
    total = subtotal + Decimal(shipping or 0) + Decimal(tax or 0) - Decimal(discount or 0)
    if subtotal > MAX_MONEY or total > MAX_MONEY:
        raise ValidationFailed(
            f"The order's total exceeds {MAX_MONEY}.", field="items", code="amount_too_large"
        )
    if total < 0:
        if negative_field is not None:
            raise ValidationFailed(
                "The discount exceeds the order's subtotal, shipping and tax.",
                field=negative_field,
                code="negative_total",
            )
        total = Decimal(0)
    return Totals(subtotal, total)


def of_order(order, lines, *, negative_field: str | None = None) -> Totals:
    """An order's totals from its lines' units not cancelled, with its own shipping, tax and
    discount."""
    return compute(
        ((line.price, line.quantity - line.quantity_cancelled) for line in lines),
        shipping=order.shipping,
        tax=order.tax,
        discount=order.discount,
        negative_field=negative_field,
    )
