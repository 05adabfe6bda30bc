from django.db import models
from django.db.models import F, Q

from vectis.db import PublicIdField, TimestampedModel

MONEY = {"max_digits": 14, "decimal_places": 4}


class Product(TimestampedModel):
    TYPE_SIMPLE = "simple"
    TYPE_KIT = "kit"
    TYPES = [(TYPE_SIMPLE, "Simple"), (TYPE_KIT, "Kit / bundle")]
    TRACKING = [("none", "None"), ("lot", "Lot"), ("serial", "Serial")]
    WEIGHT_UNITS = [("g", "g"), ("kg", "kg"), ("oz", "oz"), ("lb", "lb")]
    DIMENSION_UNITS = [("cm", "cm"), ("in", "in")]

    public_id = PublicIdField(prefix="prd")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(max_length=64)
    type = models.CharField(max_length=10, choices=TYPES, default=TYPE_SIMPLE)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    barcode = models.CharField(max_length=14, blank=True)
    hs_code = models.CharField(max_length=12, blank=True)
    country_of_origin = models.CharField(max_length=2, blank=True)
    weight = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=2, choices=WEIGHT_UNITS, default="g")
    length = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    width = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    height = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    dimension_unit = models.CharField(max_length=2, choices=DIMENSION_UNITS, default="cm")
    cost = models.DecimalField(**MONEY, null=True, blank=True)
    price = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    tracking = models.CharField(max_length=10, choices=TRACKING, default="none")
    low_stock_threshold = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["account", "sku"], name="uniq_product_account_sku")
        ]
        indexes = [
            models.Index(fields=["account", "updated_at", "id"], name="product_account_updated"),
            models.Index(fields=["account", "created_at", "id"], name="product_account_created"),
            models.Index(fields=["account", "barcode"], name="product_account_barcode"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ({self.name})"

    @property
    def is_kit(self) -> bool:
        return self.type == self.TYPE_KIT


class KitComponent(models.Model):
    """`quantity` units of `component` make up one unit of `kit`. Components are never kits."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    kit = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    # PROTECT: a product that is part of a kit is archived, never deleted.
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="part_of")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["kit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="uniq_kit_component"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="kit_component_qty_gte_1"),
            models.CheckConstraint(condition=~Q(kit=F("component")), name="kit_not_own_component"),
        ]

    def __str__(self) -> str:
        return f"{self.kit_id} <- {self.quantity} x {self.component_id}"


class SkuAlias(models.Model):
    """A sales channel's own SKU for a product (e.g. Shopify's variant SKU)."""

    public_id = PublicIdField(prefix="als")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="aliases")
    channel = models.CharField(max_length=64)
    alias = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SKU alias"
        verbose_name_plural = "SKU aliases"
        ordering = ["channel", "alias"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "channel", "alias"], name="uniq_alias_account_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.alias} → {self.product_id}"
