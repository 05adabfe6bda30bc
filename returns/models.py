"""Returns (RMAs): what a customer sends back, and what happened to each unit on arrival."""

from django.db import models
from django.db.models import F, Q

from vectis.db import PublicIdField, TimestampedModel

REASONS = ("damaged", "defective", "wrong_item", "not_as_described", "no_longer_needed", "other")
CONDITIONS = ("new", "opened", "damaged")
DISPOSITIONS = ("restock", "quarantine", "scrap")


class Return(TimestampedModel):
    REQUESTED, AUTHORIZED, RECEIVED, CLOSED = "requested", "authorized", "received", "closed"
    REJECTED, CANCELLED = "rejected", "cancelled"
    STATUSES = [(s, s) for s in (REQUESTED, AUTHORIZED, RECEIVED, CLOSED, REJECTED, CANCELLED)]
    # Returns whose lines claim shipped units (so that no unit is returned twice).
    CLAIMING = (REQUESTED, AUTHORIZED, RECEIVED, CLOSED)
    # from → the statuses it may move to; returns.services.set_status is the one place a
    # status changes (as orders.constants.TRANSITIONS for orders).
    TRANSITIONS = {
        REQUESTED: frozenset({AUTHORIZED, REJECTED, CANCELLED}),
        # reject and cancel also need nothing received yet (returns.services)
        AUTHORIZED: frozenset({RECEIVED, REJECTED, CANCELLED}),
        RECEIVED: frozenset({CLOSED}),
        CLOSED: frozenset(),
        REJECTED: frozenset(),
        CANCELLED: frozenset(),
    }

    public_id = PublicIdField(prefix="ret")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="returns")
    rma_number = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=STATUSES, default=REQUESTED)
    warehouse = models.ForeignKey(
        "warehouses.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the units come back to.",
    )
    notes = models.TextField(blank=True, default="")
    reject_reason = models.CharField(max_length=500, blank=True, default="")
    # amount, currency, reference, status: recorded, not processed
    refund = models.JSONField(default=dict, blank=True)
    label_carrier = models.CharField(max_length=64, blank=True, default="")
    label_tracking_number = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "rma_number"], name="uniq_return_rma")
        ]
        indexes = [models.Index(fields=["account", "status"], name="return_acct_status")]

    def __str__(self) -> str:
        return f"{self.rma_number} ({self.status})"


class ReturnLine(models.Model):
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=[(r, r) for r in REASONS])
    note = models.CharField(max_length=500, blank=True, default="")
    quantity_received = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity")),
                name="return_line_received_lte_qty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} x {self.quantity}"


class ReturnReceipt(models.Model):
    """Units of a return line as they arrived: their condition and where they went."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="receipts")
    quantity = models.PositiveIntegerField()
    condition = models.CharField(max_length=10, choices=[(c, c) for c in CONDITIONS])
    disposition = models.CharField(max_length=12, choices=[(d, d) for d in DISPOSITIONS])
    location = models.ForeignKey(
        "warehouses.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} {self.disposition}"
