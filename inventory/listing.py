"""GET /v1/inventory: one row per product and warehouse, filtered, sorted and paged in SQL.

`available` counts only pickable, active bins (the condition of `inventory.models.IN_PICKABLE_BIN`,
in SQL here), and ignores holds past their `expires_at` even before the expiry task has released
them. A kit's row is computed from its components.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from catalog.models import KitComponent, Product
from inventory.models import LowStockRule, Reservation, StockLevel
from inventory.selectors import expired_by_level
from warehouses.models import Location, Warehouse

SORTS = {
    "sku": "p.sku",
    "warehouse": "w.code",
    "available": "r.available",
    "on_hand": "r.on_hand",
    "updated_at": "r.updated_at",
}


@dataclass
class InventoryFilters:
    warehouse_ids: list[int] | None = None  # None: no filter
    product_ids: list[int] | None = None
    # The components of the kits among product_ids, when the caller knows them (else read).
    components: list[int] | None = None
    location_id: int | None = None
    available_lte: int | None = None
    below_threshold: bool | None = None
    updated_after: datetime | None = None
    sort: str = "sku"


@dataclass
class InventoryRow:
    product_id: str
    sku: str
    type: str
    warehouse_id: str
    warehouse_code: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int | None
    updated_at: datetime | None
    locations: list[dict] = field(default_factory=list)
    # internal ids, for loading locations
    _product_pk: int = 0
    _warehouse_pk: int = 0


class InventoryQuery:
    """Rows per (product, warehouse), built in SQL so that filters, sorting and pagination stay in
    the database. Quacks like a queryset for the paginator: `count()` and slicing."""

    def __init__(self, account_id: int, filters: InventoryFilters, now: datetime | None = None):
        self.account_id = account_id
        self.filters = filters
        self.now = now or timezone.now()

    def _sql(self) -> tuple[str, str, list]:
        """(CTEs + FROM/WHERE, ORDER BY, params)."""
        t = {
            "sl": StockLevel._meta.db_table,
            "rsv": Reservation._meta.db_table,
            "loc": Location._meta.db_table,
            "kc": KitComponent._meta.db_table,
            "product": Product._meta.db_table,
            "wh": Warehouse._meta.db_table,
            "rule": LowStockRule._meta.db_table,
        }
        f = self.filters
        now = connection.ops.adapt_datetimefield_value(self.now)
        params: list = [self.account_id, Reservation.ACTIVE, now, True, True, self.account_id]
        level_where = ""
        if f.warehouse_ids is not None:
            level_where += f" AND s.warehouse_id IN ({_in(f.warehouse_ids, params)})"
        if f.product_ids is not None:
            # components too, so that the kits among the products can be computed
            component_ids = f.components
            if component_ids is None:
                component_ids = KitComponent.objects.filter(kit_id__in=f.product_ids).values_list(
                    "component_id", flat=True
                )
            wanted = {*f.product_ids, *component_ids}
            level_where += f" AND s.product_id IN ({_in(wanted, params)})"
        params += [self.account_id, self.account_id]
        outer_where = ""
        if f.product_ids is not None:
            outer_where += f" AND r.product_id IN ({_in(f.product_ids, params)})"
        if f.location_id is not None:
            outer_where += (
                # Table names come from the models; every value is a %s parameter.
                f" AND EXISTS (SELECT 1 FROM {t['sl']} s2 WHERE s2.product_id = r.product_id"  # noqa: S608
                " AND s2.warehouse_id = r.warehouse_id AND s2.location_id = %s)"
            )
            params.append(f.location_id)
        if f.available_lte is not None:
            outer_where += " AND r.available <= %s"
            params.append(f.available_lte)
        threshold = "COALESCE(rl.threshold, p.low_stock_threshold)"
        if f.below_threshold is True:
            outer_where += f" AND {threshold} IS NOT NULL AND r.available <= {threshold}"
        elif f.below_threshold is False:
            outer_where += f" AND ({threshold} IS NULL OR r.available > {threshold})"
        if f.updated_after is not None:
            outer_where += " AND r.updated_at >= %s"
            params.append(connection.ops.adapt_datetimefield_value(f.updated_after))
        # Table names come from the models; every value is a %s parameter.
        body = f"""
WITH expired AS (
    SELECT stock_level_id, SUM(quantity) AS qty FROM {t["rsv"]}
    WHERE account_id = %s AND status = %s AND expires_at <= %s
    GROUP BY stock_level_id
),
lv AS (
    SELECT s.product_id, s.warehouse_id, s.on_hand,
           s.reserved - COALESCE(x.qty, 0) AS reserved,
           CASE WHEN l.pickable = %s AND l.active = %s
                THEN s.on_hand - s.reserved + COALESCE(x.qty, 0) ELSE 0 END AS available,
           s.updated_at
    FROM {t["sl"]} s
    JOIN {t["loc"]} l ON l.id = s.location_id
    LEFT JOIN expired x ON x.stock_level_id = s.id
    WHERE s.account_id = %s{level_where}
),
simple AS (
    -- CAST: on PostgreSQL a SUM over bigint is numeric, and the kit division below must
    -- stay integer division.
    SELECT product_id, warehouse_id, CAST(SUM(on_hand) AS BIGINT) AS on_hand,
           CAST(SUM(reserved) AS BIGINT) AS reserved,
           CAST(SUM(available) AS BIGINT) AS available, MAX(updated_at) AS updated_at
    FROM lv GROUP BY product_id, warehouse_id
),
kit AS (
    SELECT kc.kit_id AS product_id, w.warehouse_id,
           MIN(COALESCE(s.on_hand, 0) / kc.quantity) AS on_hand,
           MIN(COALESCE(s.available, 0) / kc.quantity) AS available,
           MAX(s.updated_at) AS updated_at
    FROM {t["kc"]} kc
    JOIN (SELECT DISTINCT k2.kit_id, sp.warehouse_id
          FROM {t["kc"]} k2 JOIN simple sp ON sp.product_id = k2.component_id
          WHERE k2.account_id = %s) w ON w.kit_id = kc.kit_id
    LEFT JOIN simple s ON s.product_id = kc.component_id AND s.warehouse_id = w.warehouse_id
    WHERE kc.account_id = %s
    GROUP BY kc.kit_id, w.warehouse_id
),
inv AS (
    SELECT product_id, warehouse_id, on_hand, reserved, available, updated_at FROM simple
    UNION ALL
    SELECT product_id, warehouse_id, on_hand, on_hand - available, available, updated_at FROM kit
)
FROM inv r
JOIN {t["product"]} p ON p.id = r.product_id
JOIN {t["wh"]} w ON w.id = r.warehouse_id
LEFT JOIN {t["rule"]} rl ON rl.product_id = r.product_id AND rl.warehouse_id = r.warehouse_id
WHERE 1 = 1{outer_where}"""  # noqa: S608
        descending = f.sort.startswith("-")
        column = SORTS[f.sort.lstrip("-")]
        order = f"{column} {'DESC' if descending else 'ASC'}, p.sku ASC, w.code ASC"
        return body, order, params

    def count(self) -> int:
        body, _, params = self._sql()
        head, rest = body.split("\nFROM inv r", 1)
        with connection.cursor() as cursor:
            cursor.execute(f"{head}\nSELECT COUNT(*)\nFROM inv r{rest}", params)
            return cursor.fetchone()[0]

    def __getitem__(self, window: slice) -> list[InventoryRow]:
        start = window.start or 0
        return self._fetch("LIMIT %s OFFSET %s", [window.stop - start, start], locations=True)

    def rows(self, *, locations: bool = True) -> list[InventoryRow]:
        """Every row, unpaged (the filters should keep it small); `locations`: with each
        row's bins."""
        return self._fetch("", [], locations=locations)

    def _fetch(self, window: str, window_params: list, *, locations: bool) -> list[InventoryRow]:
        body, order, params = self._sql()
        head, rest = body.split("\nFROM inv r", 1)
        sql = (
            f"{head}\nSELECT r.product_id, r.warehouse_id, r.on_hand, r.reserved, r.available,"
            " r.updated_at, p.public_id, p.sku, p.type, w.public_id, w.code,"
            " COALESCE(rl.threshold, p.low_stock_threshold)"
            f"\nFROM inv r{rest}\nORDER BY {order}\n{window}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *window_params])
            raw = cursor.fetchall()
        rows = [
            InventoryRow(
                product_id=product_public,
                sku=sku,
                type=kind,
                warehouse_id=warehouse_public,
                warehouse_code=code,
                on_hand=int(on_hand),
                reserved=int(reserved),
                available=int(available),
                low_stock_threshold=threshold,
                updated_at=_as_datetime(updated_at),
                _product_pk=product_pk,
                _warehouse_pk=warehouse_pk,
            )
            for (
                product_pk,
                warehouse_pk,
                on_hand,
                reserved,
                available,
                updated_at,
                product_public,
                sku,
                kind,
                warehouse_public,
                code,
                threshold,
            ) in raw
        ]
        if locations:
            self._attach_locations(rows)
        return rows

    def _attach_locations(self, rows: list[InventoryRow]) -> None:
        simple = {(r._product_pk, r._warehouse_pk): r for r in rows if r.type != Product.TYPE_KIT}
        if not simple:
            return
        levels = list(
            StockLevel.objects.filter(
                product_id__in={p for p, _ in simple}, warehouse_id__in={w for _, w in simple}
            )
            .select_related("location")
            .order_by("location__code", "pk")
        )
        expired = expired_by_level([lv.pk for lv in levels], self.now)
        for level in levels:
            row = simple.get((level.product_id, level.warehouse_id))
            if row is None:
                continue
            reserved = level.reserved - expired.get(level.pk, 0)
            row.locations.append(
                {
                    "location_id": level.location.public_id,
                    "code": level.location.code,
                    "pickable": level.location.pickable,
                    "on_hand": level.on_hand,
                    "reserved": reserved,
                    "available": level.on_hand - reserved,
                }
            )


def _in(values, params: list) -> str:
    values = list(values)
    if not values:
        return "NULL"  # `x IN (NULL)` matches nothing
    params.extend(values)
    return ", ".join(["%s"] * len(values))


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    # SQLite returns MAX(timestamp) as text
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
