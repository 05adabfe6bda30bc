"""Adjustments (counts, receipts, damage, …) and transfers between locations."""

from dataclasses import dataclass

from django.utils import timezone

from catalog.models import Product
from inventory.exceptions import InsufficientStock, KitHoldsNoStock, StaleQuantity
from inventory.models import ADJUST_REASONS, MAX_ON_HAND, StockLevel, StockMovement
from inventory.representation import StockLevelSerializer, levels_data
from inventory.services.levels import (
    add_on_hand_if_room,
    after_commit_changed,
    apply_level_deltas,
    ensure_levels,
    expire_due,
    lock_level_at,
    lock_levels,
)
from vectis.db_retry import atomic_with_retry
from vectis.errors import ValidationFailed
from vectis.ids import new_public_id
from warehouses.models import Location
from webhooks import services as webhooks


@dataclass
class StockChange:
    movements: list[StockMovement]
    level_ids: list[int]
    # The levels as the API shows them, when the service had them at hand (else re-read).
    levels: list[dict] | None = None


def _stockable(product: Product, field: str) -> None:
    if product.is_kit:
        raise KitHoldsNoStock(field=field)


def _still_stockable(product: Product) -> None:
    """Re-read the type under the level lock: a product turning into a kit meanwhile (catalog
    refuses that once a stock level exists) must not get stock."""
    if Product.objects.filter(pk=product.pk, type=Product.TYPE_KIT).exists():
        raise KitHoldsNoStock(field="sku")


def _room_for(level: StockLevel, needed_on_hand: int, now) -> bool:
    """Whether `on_hand` may drop to `needed_on_hand` (≥ reserved), expiring due holds if that
    is what stands in the way. `level` must be locked."""
    if needed_on_hand >= level.reserved:
        return True
    expire_due({level.pk: level}, now)
    return needed_on_hand >= level.reserved


def adjust(
    *,
    product: Product,
    location: Location,
    reason: str,
    quantity: int | None = None,
    set_on_hand: int | None = None,
    expected_on_hand: int | None = None,
    note: str = "",
    reference: str = "",
    actor: str = "",
) -> StockChange:
    """Change on_hand at one location by `quantity`, or set it to `set_on_hand` (a count), with
    optional compare-and-set on `expected_on_hand`. Locks the one stock level; writes one
    movement and emits inventory.adjusted. on_hand never falls below reserved (409)."""
    _stockable(product, "sku")
    if reason not in ADJUST_REASONS:
        raise ValidationFailed(
            f"reason must be one of: {', '.join(ADJUST_REASONS)}.", field="reason"
        )
    if (quantity is None) == (set_on_hand is None):
        raise ValidationFailed("Send exactly one of quantity or set_on_hand.", field="quantity")
    return _adjust(
        product=product,
        location=location,
        reason=reason,
        quantity=quantity,
        set_on_hand=set_on_hand,
        expected_on_hand=expected_on_hand,
        note=note,
        reference=reference,
        actor=actor,
    )


@atomic_with_retry
def _adjust(
    *, product, location, reason, quantity, set_on_hand, expected_on_hand, note, reference, actor
) -> StockChange:
    now = timezone.now()
    if quantity is not None and expected_on_hand is None:
        level = add_on_hand_if_room(
            product=product, location=location, delta=quantity, ceiling=MAX_ON_HAND, now=now
        )
        if level is not None:
            return _adjusted(level, quantity, product, location, reason, reference, note, actor)
    level, created = lock_level_at(product.account_id, product.pk, location)
    if created:
        # A level that existed before this transaction already keeps the product from
        # turning into a kit (catalog refuses it); a new one does not until it commits.
        _still_stockable(product)
    if expected_on_hand is not None and level.on_hand != expected_on_hand:
        raise StaleQuantity(
            f"on_hand is {level.on_hand}, not the expected {expected_on_hand}.",
            field="expected_on_hand",
            extra={"on_hand": level.on_hand},
        )
    delta = quantity if quantity is not None else set_on_hand - level.on_hand
    new_on_hand = level.on_hand + delta
    if new_on_hand > MAX_ON_HAND:
        raise ValidationFailed(
            f"A location holds at most {MAX_ON_HAND} units.",
            field="quantity" if quantity is not None else "set_on_hand",
            code="quantity_too_large",
        )
    if new_on_hand < 0:
        raise InsufficientStock(
            f"Only {level.on_hand} on hand at {location.code}; cannot remove {-delta}.",
            field="quantity",
        )
    if not _room_for(level, new_on_hand, now):
        raise InsufficientStock(
            f"{level.reserved} units are reserved at {location.code}; on_hand cannot go to "
            f"{new_on_hand}.",
            field="quantity" if quantity is not None else "set_on_hand",
        )
    apply_level_deltas({level.pk: level}, on_hand={level.pk: delta}, reserved={}, now=now)
    return _adjusted(level, delta, product, location, reason, reference, note, actor)


def _adjusted(level, delta, product, location, reason, reference, note, actor) -> StockChange:
    """The movement, event and announcements of an adjustment written to `level`."""
    movement = StockMovement.of(
        level,
        delta,
        reason,
        reference=reference,
        note=note,
        actor=actor,
        related={"product": product, "warehouse": level.warehouse, "location": location},
    )
    movement.save()
    (shown,) = StockLevelSerializer([level], many=True).data
    emit_adjusted([movement], {(shown["product_id"], shown["location_id"]): shown})
    after_commit_changed(
        [(product.account_id, product.pk, location.warehouse_id)],
        cause="adjusted",
        arrived=delta > 0,
        movements=[movement],
    )
    return StockChange([movement], [level.pk], [shown])


def transfer(
    *,
    product: Product,
    from_location: Location,
    to_location: Location,
    quantity: int,
    note: str = "",
    actor: str = "",
) -> StockChange:
    """Move `quantity` available units between two locations (any warehouses). Locks both levels
    in pk order; writes two `transfer` movements sharing one `trf_…` reference."""
    _stockable(product, "sku")
    if from_location.pk == to_location.pk:
        raise ValidationFailed(
            "from and to are the same location.", field="to_location_id", code="same_location"
        )
    if quantity < 1:
        raise ValidationFailed("quantity must be at least 1.", field="quantity")
    return _transfer(
        product=product,
        source=from_location,
        target=to_location,
        quantity=quantity,
        note=note,
        actor=actor,
    )


@atomic_with_retry
def _transfer(*, product, source, target, quantity, note, actor) -> StockChange:
    now = timezone.now()
    ids = ensure_levels(product.account_id, [(product.pk, source), (product.pk, target)])
    source_id, target_id = ids[(product.pk, source.pk)], ids[(product.pk, target.pk)]
    levels = {level.pk: level for level in lock_levels([source_id, target_id])}
    _still_stockable(product)
    origin = levels[source_id]
    if not _room_for(origin, origin.on_hand - quantity, now):
        raise InsufficientStock(
            f"Only {max(origin.available, 0)} units of {product.sku} are available at "
            f"{source.code}.",
            field="quantity",
            extra={"available": max(origin.available, 0)},
        )
    if levels[target_id].on_hand + quantity > MAX_ON_HAND:
        raise ValidationFailed(
            f"A location holds at most {MAX_ON_HAND} units.",
            field="quantity",
            code="quantity_too_large",
        )
    apply_level_deltas(
        levels, on_hand={source_id: -quantity, target_id: quantity}, reserved={}, now=now
    )
    reference = new_public_id("trf")
    movements = StockMovement.objects.bulk_create(
        [
            StockMovement.of(
                levels[level_id],
                delta,
                "transfer",
                reference=reference,
                note=note,
                actor=actor,
                related={"product": product, "location": location},
            )
            for location, level_id, delta in (
                (source, source_id, -quantity),
                (target, target_id, quantity),
            )
        ]
    )
    emit_adjusted(movements)
    after_commit_changed(
        [
            (product.account_id, product.pk, source.warehouse_id),
            (product.account_id, product.pk, target.warehouse_id),
        ],
        cause="transferred",
        arrived=True,
        movements=movements,
    )
    return StockChange(movements, [source_id, target_id])


def emit_adjusted(movements: list[StockMovement], by_location: dict | None = None) -> None:
    """inventory.adjusted per movement: what changed and the new counts at that location
    (`by_location`: the levels as shown, by (product id, location id), else read here)."""
    if by_location is None:
        by_location = {
            (row["product_id"], row["location_id"]): row
            for row in levels_data(
                StockLevel.objects.filter(
                    product_id__in={m.product_id for m in movements},
                    location_id__in={m.location_id for m in movements},
                ).values_list("pk", flat=True)
            )
        }
    events = []
    for movement in movements:
        level = by_location[(movement.product.public_id, movement.location.public_id)]
        events.append(
            (
                "inventory.adjusted",
                {
                    "movement_id": movement.public_id,
                    "product_id": movement.product.public_id,
                    "sku": movement.product.sku,
                    "warehouse_id": level["warehouse_id"],
                    "location_id": level["location_id"],
                    "location_code": level["location_code"],
                    "delta": movement.quantity,
                    "reason": movement.reason,
                    "reference": movement.reference,
                    "note": movement.note,
                    "on_hand": level["on_hand"],
                    "reserved": level["reserved"],
                    "available": level["available"],
                },
            )
        )
    webhooks.emit_many(movements[0].account_id, events)
