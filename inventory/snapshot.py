"""GET /v1/inventory/snapshot: every stock row of an account at one consistent moment, with the
position in the events feed that follows it.

The rows, the last movement and the sync token are read in one REPEATABLE READ, read-only
transaction on PostgreSQL (one read transaction on SQLite), so the token names exactly the
transactions whose changes the rows include: following `GET /v1/events/sync` from it, a channel
receives every later change once and none it already has (webhooks/sync.py).

As in `GET /v1/inventory`, a hold past its `expires_at` no longer counts as reserved even before
the expiry sweep has released it; the sweep's `inventory.available_changed` then carries the
same counts.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from inventory.listing import InventoryFilters, InventoryQuery, InventoryRow
from inventory.models import StockMovement
from webhooks import sync


@dataclass
class Snapshot:
    rows: list[InventoryRow]
    as_of: datetime
    last_movement_id: str | None
    position: sync.Position


def take(account_id: int, warehouse_ids: list[int] | None = None) -> Snapshot:
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _reads_already(connection):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # The position first: on PostgreSQL it is the transaction's snapshot either way, and
        # on SQLite the read transaction starts with it, so no event can fall between.
        position = sync.now()
        now = timezone.now()
        filters = InventoryFilters(warehouse_ids=warehouse_ids, sort="sku")
        rows = InventoryQuery(account_id, filters, now=now).rows(locations=False)
        last = (
            StockMovement.objects.filter(account_id=account_id)
            .order_by("-pk")
            .values_list("public_id", flat=True)
            .first()
        )
    return Snapshot(rows=rows, as_of=now, last_movement_id=last, position=position)


def _reads_already(conn) -> bool:
    """Inside a caller's transaction (a test's, say) the isolation level is set already."""
    return len(conn.atomic_blocks) > 1
