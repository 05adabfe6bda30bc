"""Stock per (product, location), the append-only movement ledger, reservations, low-stock rules.

Only `inventory.services` writes these tables; every change of `on_hand` writes one movement.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from vectis.db import PublicIdField

# Reasons a client may give for an adjustment.
ADJUST_REASONS = (
    "received",
    "cycle_count",
    "damaged",
    "lost",
    "found",
    "expired",
    "correction",
    "returned",
    "other",
)
# Reasons only the system writes.
SYSTEM_REASONS = ("transfer", "shipped", "ship_voided")
# The most units one request may move, and one bin may hold.
MAX_UNITS = 1_000_000_000
MAX_ON_HAND = 1_000_000_000_000
MOVEMENT_REASONS = ADJUST_REASONS + SYSTEM_REASONS

# Stock in these bins counts as available: pickable and active (the raw inventory listing in
# inventory.listing writes the same condition in SQL).
IN_PICKABLE_BIN = Q(location__pickable=True, location__active=True)


class StockLevelQuerySet(models.QuerySet):
    def reservable(self) -> "StockLevelQuerySet":
        """Levels an order may reserve from: in pickable, active bins of active warehouses."""
        return self.filter(IN_PICKABLE_BIN, warehouse__active=True)


class StockLevel(models.Model):
    """Units of one product in one bin. `available = on_hand - reserved` (minus nothing else)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    # PROTECT: a product with stock rows is archived, never deleted.
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="stock_levels"
    )
    # Denormalised from the location (which never changes warehouse) to group by warehouse.
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "warehouses.Location", on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.BigIntegerField(default=0)
    reserved = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "location"], name="uniq_stock_product_loc"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_lte_on_hand"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "warehouse", "product"], name="stock_acct_wh_prod"),
            models.Index(fields=["account", "product"], name="stock_acct_prod"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """One change of `on_hand`. Append-only: a database trigger refuses UPDATE and DELETE."""

    public_id = PublicIdField(prefix="mov")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="stock_movements"
    )
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey("warehouses.Location", on_delete=models.PROTECT, related_name="+")
    quantity = models.BigIntegerField(help_text="Signed change of on_hand.")
    on_hand_after = models.BigIntegerField()
    reason = models.CharField(max_length=32, choices=[(r, r) for r in MOVEMENT_REASONS])
    reference = models.CharField(max_length=200, blank=True, default="")
    note = models.TextField(blank=True, default="")
    # "client:<client_id>", "user:<username>" or "system".
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["account", "created_at"], name="mov_acct_created"),
            models.Index(fields=["product", "location"], name="mov_prod_loc"),
            models.Index(fields=["account", "reference"], name="mov_acct_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.quantity:+d} ({self.reason})"

    @classmethod
    def of(
        cls,
        level: StockLevel,
        quantity: int,
        reason: str,
        *,
        reference: str = "",
        note: str = "",
        actor: str = "",
        related: dict | None = None,
    ) -> "StockMovement":
        """The movement of `quantity` (signed) units at `level`, whose on_hand is already the
        count after it. `related`: product, warehouse or location objects the caller holds,
        attached so that reading them costs no query."""
        movement = cls(
            account_id=level.account_id,
            product_id=level.product_id,
            warehouse_id=level.warehouse_id,
            location_id=level.location_id,
            quantity=quantity,
            on_hand_after=level.on_hand,
            reason=reason,
            reference=reference,
            note=note,
            actor=actor,
        )
        for name, obj in (related or {}).items():
            setattr(movement, name, obj)
        return movement


class ReservationQuerySet(models.QuerySet):
    def lapsed(self, now) -> "ReservationQuerySet":
        """Holds still active past their `expires_at`: they count as expired (and hold
        nothing) even before the expiry task has released them."""
        return self.filter(lapsed_at(now))


def lapsed_at(now) -> Q:
    """The lapsed-hold condition (inventory.listing writes the same in SQL)."""
    return Q(status=Reservation.ACTIVE, expires_at__lte=now)


class Reservation(models.Model):
    """Units of a stock level held for an order line or a free reference (cart, hold)."""

    ACTIVE, RELEASED, CONSUMED, EXPIRED = "active", "released", "consumed", "expired"
    STATUSES = [(s, s) for s in (ACTIVE, RELEASED, CONSUMED, EXPIRED)]

    public_id = PublicIdField(prefix="rsv")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    # Inserting a reservation takes a key-share lock on the stock level, which does not conflict
    # with the no-key-update locks the services take on it.
    stock_level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="reservations"
    )
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    # An order line's reservation (a kit line's reservations are its components'), or a hold.
    order_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
    )
    reference = models.CharField(max_length=200, blank=True, default="")
    # The package (`pkg_…`) that shipped these units, for consumed reservations.
    consumed_by = models.CharField(max_length=32, blank=True, default="", db_index=True)
    status = models.CharField(max_length=16, choices=STATUSES, default=ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ReservationQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
        ]
        indexes = [
            models.Index(fields=["account", "reference"], name="rsv_acct_ref"),
            models.Index(fields=["stock_level", "status"], name="rsv_level_status"),
            models.Index(
                fields=["expires_at"],
                name="rsv_active_expiry",
                condition=Q(status="active", expires_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.quantity} ({self.status})"

    def lapsed(self, now=None) -> bool:
        """Still active past its `expires_at` (see `lapsed_at`)."""
        if self.status != self.ACTIVE or self.expires_at is None:
            return False
        return self.expires_at <= (now or timezone.now())


class LowStockRule(models.Model):
    """Per (product, warehouse): an optional threshold overriding the product's, and whether an
    `inventory.low_stock` event has fired for the current dip (so it fires once per crossing)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="low_stock_rules"
    )
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.CASCADE, related_name="+"
    )
    threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides the product's low_stock_threshold here."
    )
    is_low = models.BooleanField(default=False, editable=False)
    low_since = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="uniq_lowstock_prod_wh")
        ]

    def __str__(self) -> str:
        return f"low stock rule {self.product_id}@{self.warehouse_id}"

    @property
    def threshold_in_force(self) -> int | None:
        """This warehouse's override, else the product's own threshold (product loaded)."""
        return self.threshold if self.threshold is not None else self.product.low_stock_threshold


class StockFreed(models.Model):
    """A notification that units became available (received, released, expired, returned):
    written in the transaction that freed them, read (and deleted) by the dispatcher, which
    serves backordered orders of those products. Inventory announces; orders react. No foreign
    keys: these rows are written next to the hottest stock rows."""

    product_id = models.BigIntegerField()
    warehouse_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"freed {self.product_id}@{self.warehouse_id}"
