from django.db import models
from django.db.models import Q

from vectis.db import PublicIdField, TimestampedModel

DEFAULT_LOCATION_CODE = "DEFAULT"


class Warehouse(TimestampedModel):
    public_id = PublicIdField(prefix="wh")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    # name, company, address1, address2, city, state, postal_code, country, phone, email
    address = models.JSONField(default=dict, blank=True)
    priority = models.IntegerField(default=0, help_text="Higher is allocated from first.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-priority", "code"]
        constraints = [
            models.UniqueConstraint(fields=["account", "code"], name="uniq_warehouse_account_code")
        ]
        indexes = [models.Index(fields=["account", "-priority"], name="warehouse_account_prio")]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"


class Location(TimestampedModel):
    """A bin inside a warehouse. Non-pickable bins (quarantine, receiving) are never allocated."""

    public_id = PublicIdField(prefix="loc")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    pickable = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["warehouse_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="uniq_location_wh_code"),
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=Q(is_default=True),
                name="uniq_default_location_per_wh",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"
