"""Inventory reads shared by the API, the admin and tasks: one product's totals in a
warehouse, reservable stock for planning, lists of movements, holds and thresholds, and the
ledger check. `available` counts only stock in pickable, active bins and ignores holds past
their `expires_at`; the paged `GET /v1/inventory` query is inventory.listing."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from catalog.models import Product
from inventory.models import IN_PICKABLE_BIN, LowStockRule, Reservation, StockLevel, StockMovement
from warehouses.models import Location, Warehouse


def expired_by_level(level_ids, now: datetime) -> dict[int, int]:
    rows = (
        Reservation.objects.lapsed(now)
        .filter(stock_level_id__in=list(level_ids))
        .values("stock_level_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["stock_level_id"]: row["total"] for row in rows}


def warehouse_totals(*, product_id: int, warehouse_id: int, now=None) -> dict[str, int]:
    """on_hand, reserved and available of one product in one warehouse (two queries)."""
    now = now or timezone.now()
    levels = list(
        StockLevel.objects.filter(product_id=product_id, warehouse_id=warehouse_id)
        .annotate(counts=ExpressionWrapper(IN_PICKABLE_BIN, output_field=BooleanField()))
        .values_list("pk", "on_hand", "reserved", "counts")
    )
    expired = expired_by_level([row[0] for row in levels], now) if levels else {}
    totals = {"on_hand": 0, "reserved": 0, "available": 0}
    for pk, on_hand, reserved, counts in levels:
        held = reserved - expired.get(pk, 0)
        totals["on_hand"] += on_hand
        totals["reserved"] += held
        if counts:
            totals["available"] += on_hand - held
    return totals


def products_with_stock_rows(product_ids) -> set[int]:
    """Those of these products that have a stock level (stock now, or once)."""
    return set(
        StockLevel.objects.filter(product_id__in=list(product_ids))
        .values_list("product_id", flat=True)
        .distinct()
    )


def kits_with_open_reservations(kit_ids) -> set[int]:
    """Those of these kits whose components are reserved for order lines right now."""
    return set(
        Reservation.objects.filter(
            order_line__product_id__in=list(kit_ids), status=Reservation.ACTIVE
        )
        .values_list("order_line__product_id", flat=True)
        .distinct()
    )


# --- other reads -------------------------------------------------------------------------------
def movements_for_account(account) -> QuerySet[StockMovement]:
    return StockMovement.objects.filter(account=account).select_related(
        "product", "warehouse", "location"
    )


def reservations_for_account(account) -> QuerySet[Reservation]:
    return Reservation.objects.filter(account=account).select_related(
        "product", "warehouse", "stock_level__location", "order_line__order"
    )


def lapsed_holds(now: datetime) -> QuerySet[Reservation]:
    """Holds still active past their `expires_at` (every account), soonest lapsed first: what
    `services.expire_holds(now=now)` would expire."""
    return (
        Reservation.objects.lapsed(now)
        .select_related("account", "product", "warehouse")
        .order_by("expires_at", "pk")
    )


def with_stock_totals(rules: QuerySet[LowStockRule]) -> QuerySet[LowStockRule]:
    """Low-stock rules with `on_hand_sum` and `available_sum` of their product in their
    warehouse (None where no bin holds it), computed in the same query."""
    levels = StockLevel.objects.filter(
        product_id=OuterRef("product_id"), warehouse_id=OuterRef("warehouse_id")
    ).values("product_id")
    on_hand = levels.annotate(n=Sum("on_hand")).values("n")
    available = levels.annotate(n=Sum(F("on_hand") - F("reserved"))).values("n")
    return rules.annotate(on_hand_sum=Subquery(on_hand), available_sum=Subquery(available))


def thresholds_for_account(account) -> QuerySet[LowStockRule]:
    return LowStockRule.objects.filter(account=account, threshold__isnull=False).select_related(
        "product", "warehouse"
    )


def product_ids_for(account, *, public_ids=None, skus=None) -> list[int]:
    """Internal ids of the account's products with these public ids and (if given) SKUs."""
    match = Q(account=account)
    if public_ids is not None:
        match &= Q(public_id__in=public_ids)
    if skus is not None:
        match &= Q(sku__in=skus)
    return list(Product.objects.filter(match).values_list("pk", flat=True))


# --- ledger verification -------------------------------------------------------------------------
@dataclass
class LedgerMismatch:
    kind: str  # ledger_sum | last_movement | reserved_sum | orphan_movements
    product_id: str
    sku: str
    location_id: str
    actual: int
    expected: int

    @property
    def fix(self) -> str:
        if self.kind == "reserved_sum":
            return f"set reserved to {self.expected} (the sum of active reservations)"
        if self.kind == "orphan_movements":
            return f"movements sum to {self.expected} but there is no stock level; restore it"
        delta = self.expected - self.actual
        return (
            f"on_hand is {self.actual}, the ledger says {self.expected}: recount and post a "
            f"correction of {-delta:+d} to match the shelf, or repair on_hand to {self.expected}"
        )


def verify_ledger(*, account_id: int | None = None) -> tuple[int, list[LedgerMismatch]]:
    """Check every stock level against its movements (sum and last on_hand_after) and its
    active reservations. Returns (levels checked, mismatches).

    The reads share one snapshot (REPEATABLE READ on PostgreSQL), so changes committing while
    it runs cannot show up as false mismatches."""
    if connection.in_atomic_block:
        return _verify_ledger(account_id)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify_ledger(account_id)


def _verify_ledger(account_id: int | None) -> tuple[int, list[LedgerMismatch]]:
    scope = Q(account_id=account_id) if account_id is not None else Q()
    sums = {
        (row["product_id"], row["location_id"]): (row["total"], row["last"])
        for row in StockMovement.objects.filter(scope)
        .values("product_id", "location_id")
        .annotate(total=Sum("quantity"), last=Max("pk"))
    }
    last_after = dict(
        StockMovement.objects.filter(pk__in=[last for _, last in sums.values()]).values_list(
            "pk", "on_hand_after"
        )
    )
    held = {
        row["stock_level_id"]: row["total"]
        for row in Reservation.objects.filter(scope, status=Reservation.ACTIVE)
        .values("stock_level_id")
        .annotate(total=Sum("quantity"))
    }
    mismatches: list[LedgerMismatch] = []
    checked = 0
    levels = (
        StockLevel.objects.filter(scope)
        .values_list(
            "pk",
            "product_id",
            "location_id",
            "on_hand",
            "reserved",
            "product__public_id",
            "product__sku",
            "location__public_id",
        )
        .order_by("pk")
    )
    for pk, product, location, on_hand, reserved, *names in levels.iterator(chunk_size=5000):
        checked += 1
        total, last = sums.pop((product, location), (0, None))
        found = []
        if on_hand != total:
            found.append(("ledger_sum", on_hand, total))
        elif last is not None and last_after[last] != on_hand:
            found.append(("last_movement", on_hand, last_after[last]))
        if reserved != held.get(pk, 0):
            found.append(("reserved_sum", reserved, held.get(pk, 0)))
        mismatches += [LedgerMismatch(kind, *names, actual, want) for kind, actual, want in found]
    for (product, location), (total, _) in sums.items():
        if total:
            product_row = Product.objects.filter(pk=product).values_list("public_id", "sku")[0]
            location_public = Location.objects.filter(pk=location).values_list(
                "public_id", flat=True
            )[0]
            mismatches.append(
                LedgerMismatch("orphan_movements", *product_row, location_public, 0, total)
            )
    return checked, mismatches


def available_by_warehouse(
    *, account_id: int, product_ids
) -> tuple[dict[tuple[int, int], int], list[int]]:
    """A snapshot (no locks) of reservable units per (product, warehouse) in pickable, active
    bins of active warehouses, and those warehouses' ids by priority. For planning only: the
    reservation itself rechecks under its locks."""
    rows = (
        StockLevel.objects.reservable()
        .filter(account_id=account_id, product_id__in=list(product_ids))
        .values("product_id", "warehouse_id")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    )
    available = {(r["product_id"], r["warehouse_id"]): r["on_hand"] - r["reserved"] for r in rows}
    warehouses = list(
        Warehouse.objects.filter(account_id=account_id, active=True)
        .order_by("-priority", "code")
        .values_list("pk", flat=True)
    )
    return available, warehouses
