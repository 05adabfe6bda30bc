"""Orders, their lines and their history. Only `orders.services` writes these tables."""

from django.db import models
from django.db.models import F, Q

from catalog.models import MONEY
from orders import constants
from vectis.db import PublicIdField, TimestampedModel


class Order(TimestampedModel):
    # Every index here is written on every order insert, and orders are the hottest insert of
    # all: an index earns its place by serving a query (issue 13 cut 15 to 8). The account's
    # own index is the prefix of the composite ones; the search (`q`, the admin's) is
    # `icontains`, which no b-tree serves; `public_id` is looked up by equality only (a unique
    # constraint, without the `varchar_pattern_ops` twin `unique=True` adds on PostgreSQL).
    public_id = PublicIdField(prefix="ord", unique=False)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=64)
    external_id = models.CharField(max_length=128)
    status = models.CharField(
        max_length=24, choices=[(s, s) for s in constants.STATUSES], default=constants.PENDING
    )
    sub_status = models.CharField(max_length=100, blank=True, default="")
    hold_reason = models.CharField(max_length=500, blank=True, default="")
    currency = models.CharField(max_length=3, default="USD")
    ship_to = models.JSONField(default=dict)
    customer_name = models.CharField(max_length=200, blank=True, default="")
    customer_email = models.CharField(max_length=254, blank=True, default="")
    shipping_method = models.CharField(max_length=100, blank=True, default="")
    placed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    shipping = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    discount = models.DecimalField(**MONEY, default=0)
    subtotal = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    payment = models.JSONField(default=dict, blank=True)
    priority = models.IntegerField(default=0, help_text="Higher is allocated first.")
    # Set in the transaction that asks for an allocation (intake, release, item change) and
    # cleared by the allocation: a row still set after a while is work the broker lost, which
    # the allocation sweep picks up.
    allocation_due_at = models.DateTimeField(null=True, blank=True)
    # created_at keeps its own index for the admin's newest-first list across accounts;
    # updated_at is only read per account (order_acct_updated).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="uniq_order_public_id"),
            models.UniqueConstraint(
                fields=["account", "channel", "external_id"], name="uniq_order_channel_external"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="order_acct_status"),
            # With the id: sorts break ties by it, and keyset cursors compare (field, id).
            models.Index(fields=["account", "created_at", "id"], name="order_acct_created_id"),
            models.Index(fields=["account", "updated_at", "id"], name="order_acct_updated_id"),
            models.Index(
                fields=["allocation_due_at"],
                condition=Q(allocation_due_at__isnull=False),
                name="order_allocation_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.channel}:{self.external_id})"


class OrderLine(models.Model):
    public_id = PublicIdField(prefix="lin")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64, help_text="As ordered (may be a channel alias).")
    quantity = models.PositiveIntegerField()
    price = models.DecimalField(**MONEY, default=0)
    quantity_allocated = models.PositiveIntegerField(default=0)
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_cancelled = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order_id", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(
                    quantity__gte=F("quantity_allocated")
                    + F("quantity_shipped")
                    + F("quantity_cancelled")
                ),
                name="line_quantities_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity}"

    @property
    def open_quantity(self) -> int:
        """Units neither allocated, shipped nor cancelled."""
        return (
            self.quantity
            - self.quantity_allocated
            - self.quantity_shipped
            - self.quantity_cancelled
        )


class OrderEvent(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True, default="")
    to_status = models.CharField(max_length=24, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="orderevent_order_id")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.type}"


class Package(TimestampedModel):
    """Units of an order leaving one warehouse together (labels arrive with the packages issue)."""

    PENDING, SHIPPED, IN_TRANSIT, DELIVERED = "pending", "shipped", "in_transit", "delivered"
    VOIDED, CANCELLED = "voided", "cancelled"
    STATUSES = [(s, s) for s in (PENDING, SHIPPED, IN_TRANSIT, DELIVERED, VOIDED, CANCELLED)]
    # from → the statuses it may move to; orders.services.history.set_package_status is the
    # one place a package's status changes (bulk updates filter by can_become).
    TRANSITIONS = {
        # ships, or is emptied by a re-plan or a cancel
        PENDING: frozenset({SHIPPED, CANCELLED}),
        # a voided label puts it back to pending; carrier scans move it on
        SHIPPED: frozenset({PENDING, IN_TRANSIT, DELIVERED}),
        IN_TRANSIT: frozenset({DELIVERED}),
        DELIVERED: frozenset(),
        VOIDED: frozenset(),  # kept for packages voided before voids returned them to pending
        CANCELLED: frozenset(),
    }

    @classmethod
    def can_become(cls, to_status: str) -> tuple[str, ...]:
        """The statuses from which a package may move to `to_status`."""
        return tuple(s for s, moves in cls.TRANSITIONS.items() if to_status in moves)

    public_id = PublicIdField(prefix="pkg")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="packages")
    warehouse = models.ForeignKey(
        "warehouses.Warehouse", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    carrier = models.CharField(max_length=64, blank=True, default="")
    service = models.CharField(max_length=64, blank=True, default="")
    tracking_number = models.CharField(max_length=100, blank=True, default="", db_index=True)
    weight = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=2, default="g")
    length = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    width = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    height = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    dimension_unit = models.CharField(max_length=2, default="cm")
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "status"], name="package_acct_status")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.status})"


class PackageLine(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="package_line_qty_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.package_id}: line {self.order_line_id} x {self.quantity}"


class Label(models.Model):
    """A shipping label a carrier adapter issued for a package (voided ones are kept)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="labels")
    carrier = models.CharField(max_length=64)
    service = models.CharField(max_length=64, blank=True, default="")
    tracking_number = models.CharField(max_length=100, db_index=True)
    # The carrier's own document, when it returns one (the local carrier renders on demand).
    document = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True, default="")
    # Vectis draws this label itself (PDF, ZPL, PNG on request).
    rendered = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class TrackingEvent(models.Model):
    STATUSES = ["in_transit", "out_for_delivery", "delivered", "exception"]

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=20, choices=[(s, s) for s in STATUSES])
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.package_id} {self.status}"
