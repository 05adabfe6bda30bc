"""Which line a request means: by its id or by SKU, one rule and one error everywhere a body
names lines (cancel, ship, split, allocate by items, order updates, returns and receipts)."""

from collections.abc import Callable, Sequence
from typing import TypeVar

from orders.models import OrderLine
from vectis.errors import ValidationFailed

Row = TypeVar("Row")


def matching(
    rows: Sequence[Row],
    item: dict,
    *,
    where: str,
    id_key: str = "line_id",
    line: Callable[[Row], OrderLine] = lambda row: row,
    owner: str = "order",
) -> list[Row]:
    """The rows whose order line `item` names: the one with that id when `item[id_key]` is
    sent, else every one whose line has that SKU (the line's own or its product's; a SKU may
    be on several lines). None: 400 `unknown_line` naming the key sent (`{where}.{id_key}` or
    `{where}.sku`)."""
    reference = item.get(id_key)
    if reference:
        found = [row for row in rows if line(row).public_id == reference]
        field = f"{where}.{id_key}"
    else:
        reference = item.get("sku")
        found = [row for row in rows if reference in (line(row).sku, line(row).product.sku)]
        field = f"{where}.sku"
    if not found:
        raise ValidationFailed(
            f"The {owner} has no line {reference}.", field=field, code="unknown_line"
        )
    return found
