"""inventory.available_changed: the stock a channel shows, announced whenever it changes.

Every change of stock levels (reserve, release, expiry, ship, void, adjust, transfer, receive,
return) calls `stock_changed` in its transaction with the (account, product, warehouse)
triples it touched. The event of each (SKU, warehouse) is written once per transaction: the
first change inserts it, later changes in the same transaction rewrite it, so it carries the
counts as they stand at commit and every cause. Kits made of a changed product get theirs too
(a kit's stock is computed from its components). The counts are GET /v1/inventory's own rows
(the same query), with the product's total over every warehouse.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection

from catalog.models import KitComponent
from inventory.listing import InventoryFilters, InventoryQuery
from webhooks import services as webhooks
from webhooks.models import Event

EVENT = "inventory.available_changed"

_local = threading.local()


def stock_changed(
    triples: Iterable[tuple[int, int, int]],
    *,
    cause: str,
    movements: Iterable = (),
) -> None:
    """(Re)write the available_changed events of these (account id, product id, warehouse id)
    triples and of the kits containing those products, with counts as they now stand.
    `cause`: what changed them (reserved, released, expired, shipped, ship_voided, adjusted,
    transferred); `movements`: the ledger rows written, if any."""
    by_account: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for account_id, product_id, warehouse_id in triples:
        by_account[account_id].add((product_id, warehouse_id))
    movement_ids = [m.public_id for m in movements]
    for account_id, pairs in sorted(by_account.items()):
        _announce(account_id, pairs, {"reason": cause, "movement_ids": movement_ids})


def _announce(account_id: int, pairs: set[tuple[int, int]], cause: dict) -> None:
    products = {product for product, _ in pairs}
    # Stock changes only simple products; the kits made of them change with them.
    kits = set(
        KitComponent.objects.filter(component_id__in=products).values_list("kit_id", flat=True)
    )
    components = (
        set(KitComponent.objects.filter(kit_id__in=kits).values_list("component_id", flat=True))
        if kits
        else set()
    )
    _serialize(products | kits)
    filters = InventoryFilters(
        product_ids=sorted(products | kits), components=sorted(components), sort="sku"
    )
    rows = InventoryQuery(account_id, filters).rows(locations=False)
    totals: dict[int, dict[str, int]] = defaultdict(
        lambda: {"on_hand": 0, "reserved": 0, "available": 0}
    )
    for row in rows:
        total = totals[row._product_pk]
        total["on_hand"] += row.on_hand
        total["reserved"] += row.reserved
        total["available"] += row.available
    warehouses = {warehouse for _, warehouse in pairs}
    pending = _pending()
    new: list[tuple[tuple[int, int], dict]] = []
    for row in rows:
        key = (row._product_pk, row._warehouse_pk)
        if row._warehouse_pk not in warehouses:
            continue
        if row._product_pk in products and key not in pairs:
            continue  # the product's stock elsewhere did not change
        known = pending.get(key)
        causes = [*(known["causes"] if known else []), cause]
        data = {
            "product_id": row.product_id,
            "sku": row.sku,
            "type": row.type,
            "warehouse_id": row.warehouse_id,
            "warehouse_code": row.warehouse_code,
            "on_hand": row.on_hand,
            "reserved": row.reserved,
            "available": row.available,
            "total": dict(totals[row._product_pk]),
            "causes": causes,
        }
        # Rewritten if this transaction announced it already (and the row is still there:
        # a rolled-back savepoint takes it away).
        if known and Event.objects.filter(pk=known["event_id"]).update(data=webhooks.stored(data)):
            known["causes"] = causes
            continue
        new.append((key, data))
    if new:
        events = webhooks.emit_many(account_id, [(EVENT, data) for _, data in new])
        for (key, data), event in zip(new, events, strict=True):
            if event.pk is not None:  # (a backend that returns no ids: not coalesced)
                pending[key] = {"event_id": event.pk, "causes": data["causes"]}


# Advisory lock keys of the products announced: the high bit keeps them apart from others.
_LOCK_SPACE = 1 << 62


def _serialize(product_ids: set[int]) -> None:
    """Transactions announcing the same product wait for each other (PostgreSQL), so each
    reads the other's committed counts: a product's total over its warehouses, and a kit's
    stock from components another transaction changed, are never computed from a stale half.
    The locks are taken in id order and held to commit."""
    if connection.vendor != "postgresql" or not product_ids:
        return
    keys = sorted(_LOCK_SPACE | pk for pk in product_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(%s::bigint[]) AS k ORDER BY k) s",
            [keys],
        )


def _pending() -> dict:
    """The events this transaction announced, by (product id, warehouse id). A test's own
    wrapping transaction does not count: the services' transactions inside it do."""
    blocks = [b for b in connection.atomic_blocks if not getattr(b, "_from_testcase", False)]
    if not blocks:  # autocommit: each call is its own transaction
        return {}
    state = getattr(_local, "state", None)
    if state is None or state[0] is not blocks[0]:
        state = _local.state = (blocks[0], {})
    return state[1]
