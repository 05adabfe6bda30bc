from rest_framework import serializers

from inventory.listing import SORTS
from inventory.models import ADJUST_REASONS, MAX_ON_HAND, MAX_UNITS, LowStockRule
from inventory.representation import (
    MovementSerializer,
    StockLevelSerializer,
)
from vectis.api.filters import CommaListQueryField, DateOrDateTimeQueryField
from vectis.api.serializers import StrictSerializer
from vectis.serializers import BooleanField, CharField, DateTimeField, IntegerField


class ProductRefSerializer(StrictSerializer):
    sku = CharField(max_length=64, required=False, help_text="Product SKU.")
    product_id = CharField(max_length=32, required=False, help_text="Or the product id (`prd_…`).")

    one_of = (("sku", "product_id"),)


class NonZeroQuantity:
    """A signed `quantity` that may not be 0 (an adjustment that changes nothing)."""

    schema_rules = {"properties": {"quantity": {"not": {"const": 0}}}}

    def validate(self, attrs):
        if attrs.get("quantity") == 0:
            raise serializers.ValidationError(
                {"quantity": ["quantity must not be 0."]}, code="invalid"
            )
        return super().validate(attrs)


# --- requests ----------------------------------------------------------------------------------
class AdjustSerializer(NonZeroQuantity, ProductRefSerializer):
    warehouse_id = CharField(max_length=32)
    location_id = CharField(
        max_length=32, required=False, help_text="A bin of the warehouse; default: its default bin."
    )
    quantity = IntegerField(
        required=False,
        min_value=-MAX_UNITS,
        max_value=MAX_UNITS,
        help_text="Signed change of on_hand (not 0). Or send set_on_hand.",
    )
    set_on_hand = IntegerField(
        required=False, min_value=0, max_value=MAX_ON_HAND, help_text="Absolute count."
    )
    expected_on_hand = IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ON_HAND,
        help_text="Compare-and-set: refuse (409 stale_quantity) unless on_hand is this.",
    )
    reason = serializers.ChoiceField(choices=ADJUST_REASONS)
    note = CharField(max_length=1000, required=False, allow_blank=True, default="")
    reference = CharField(max_length=200, required=False, allow_blank=True, default="")

    one_of = (*ProductRefSerializer.one_of, ("quantity", "set_on_hand"))
    example = {
        "sku": "TEE-BLK-M",
        "warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd",
        "quantity": 24,
        "reason": "received",
        "reference": "PO-1042",
    }


class TransferSerializer(ProductRefSerializer):
    quantity = IntegerField(min_value=1, max_value=MAX_UNITS)
    from_warehouse_id = CharField(max_length=32)
    from_location_id = CharField(
        max_length=32, required=False, help_text="Default: the warehouse's default bin."
    )
    to_warehouse_id = CharField(max_length=32)
    to_location_id = CharField(
        max_length=32, required=False, help_text="Default: the warehouse's default bin."
    )
    note = CharField(max_length=1000, required=False, allow_blank=True, default="")

    example = {
        "sku": "TEE-BLK-M",
        "quantity": 5,
        "from_warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd",
        "to_warehouse_id": "wh_7Rn2KpX4vQm8ZcT5bLw9",
        "note": "Rebalance before the sale",
    }


class AdjustRowSerializer(NonZeroQuantity, ProductRefSerializer):
    warehouse_id = CharField(max_length=32)
    location_id = CharField(
        max_length=32, required=False, help_text="A bin of the warehouse; default: its default bin."
    )
    quantity = IntegerField(
        min_value=-MAX_UNITS, max_value=MAX_UNITS, help_text="Signed change of on_hand (not 0)."
    )
    reason = serializers.ChoiceField(choices=ADJUST_REASONS)
    note = CharField(max_length=1000, required=False, allow_blank=True, default="")
    reference = CharField(max_length=200, required=False, allow_blank=True, default="")


class CountRowSerializer(ProductRefSerializer):
    warehouse_id = CharField(max_length=32)
    location_id = CharField(
        max_length=32, required=False, help_text="A bin of the warehouse; default: its default bin."
    )
    on_hand = IntegerField(min_value=0, max_value=MAX_ON_HAND, help_text="The count.")
    expected_on_hand = IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ON_HAND,
        help_text="Compare-and-set: the row is `stale` (not applied) unless on_hand is this.",
    )
    reason = serializers.ChoiceField(choices=ADJUST_REASONS, required=False, default="cycle_count")
    note = CharField(max_length=1000, required=False, allow_blank=True, default="")


class AdjustBulkSerializer(StrictSerializer):
    adjustments = AdjustRowSerializer(many=True, allow_empty=False, max_length=1000)

    example = {
        "adjustments": [
            {
                "sku": "TEE-BLK-M",
                "warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd",
                "quantity": 24,
                "reason": "received",
            },
            {
                "sku": "MUG-WHT",
                "warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd",
                "quantity": -2,
                "reason": "damaged",
            },
        ]
    }


class CountBulkSerializer(StrictSerializer):
    counts = CountRowSerializer(many=True, allow_empty=False, max_length=1000)

    example = {
        "counts": [
            {"sku": "TEE-BLK-M", "warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd", "on_hand": 40},
            {
                "sku": "MUG-WHT",
                "warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd",
                "on_hand": 12,
                "expected_on_hand": 15,
            },
        ]
    }


class StockRowErrorSerializer(serializers.Serializer):
    code = CharField()
    message = CharField()
    field = CharField(allow_null=True)


class StockRowResultSerializer(serializers.Serializer):
    index = IntegerField()
    status = serializers.ChoiceField(
        choices=["applied", "unchanged", "stale", "error"],
        help_text="`stale`: on_hand was not `expected_on_hand` (it is `on_hand`); not applied.",
    )
    sku = CharField(allow_null=True)
    warehouse_id = CharField(allow_null=True)
    location_id = CharField(allow_null=True)
    on_hand = IntegerField(allow_null=True, help_text="After the row (when stale: as found).")
    movement_id = CharField(allow_null=True, help_text="The ledger row written (`mov_…`).")
    error = StockRowErrorSerializer(required=False)


class StockBulkResultSerializer(serializers.Serializer):
    applied = IntegerField()
    unchanged = IntegerField()
    stale = IntegerField()
    failed = IntegerField()
    results = StockRowResultSerializer(many=True)


class ThresholdSerializer(ProductRefSerializer):
    warehouse_id = CharField(max_length=32)
    low_stock_threshold = IntegerField(
        min_value=0,
        max_value=MAX_UNITS,
        allow_null=True,
        help_text="Alert when available ≤ this in this warehouse; null: use the product's.",
    )

    example = {
        "sku": "MUG-WHT",
        "warehouse_id": "wh_3kTq9ZbV7xNc2LmR8pYd",
        "low_stock_threshold": 10,
    }


class InventoryQuerySerializer(serializers.Serializer):
    """Query parameters of GET /v1/inventory. They arrive as strings, so DRF's own fields here
    rather than the JSON-typed ones of vectis.serializers."""

    warehouse = CommaListQueryField(
        required=False, help_text="Warehouse id (`wh_…`), or a comma-separated list."
    )
    product = CommaListQueryField(
        required=False, help_text="Product id (`prd_…`), or a comma-separated list."
    )
    sku = CommaListQueryField(required=False, help_text="SKU, or a comma-separated list.")
    location = serializers.CharField(
        required=False, help_text="Only products stocked in this location (`loc_…`)."
    )
    available_lte = serializers.IntegerField(
        required=False, min_value=-MAX_UNITS, max_value=MAX_UNITS
    )
    below_threshold = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="`true`: available ≤ low-stock threshold; `false`: above it or no threshold.",
    )
    updated_after = DateOrDateTimeQueryField(required=False)
    sort = serializers.ChoiceField(
        choices=[*SORTS, *(f"-{name}" for name in SORTS)], required=False, default="sku"
    )

    def validate_below_threshold(self, value):
        return value == "true"


# --- responses ---------------------------------------------------------------------------------
class InventoryLocationSerializer(serializers.Serializer):
    location_id = CharField()
    code = CharField()
    pickable = BooleanField()
    on_hand = IntegerField()
    reserved = IntegerField()
    available = IntegerField()


class InventoryRowSerializer(serializers.Serializer):
    product_id = CharField()
    sku = CharField()
    type = serializers.ChoiceField(
        choices=["simple", "kit"], help_text="Kit rows are computed from their components."
    )
    warehouse_id = CharField()
    warehouse_code = CharField()
    on_hand = IntegerField()
    reserved = IntegerField()
    available = IntegerField(
        help_text="Units that can be reserved: pickable, active bins, minus live reservations."
    )
    low_stock_threshold = IntegerField(
        allow_null=True, help_text="The warehouse override, else the product's."
    )
    updated_at = DateTimeField(allow_null=True)
    locations = InventoryLocationSerializer(many=True)


class SnapshotQuerySerializer(serializers.Serializer):
    warehouse = CommaListQueryField(
        required=False, help_text="Warehouse id (`wh_…`), or a comma-separated list."
    )


class SnapshotRowSerializer(serializers.Serializer):
    product_id = CharField()
    sku = CharField()
    type = serializers.ChoiceField(choices=["simple", "kit"])
    warehouse_id = CharField()
    warehouse_code = CharField()
    on_hand = IntegerField()
    reserved = IntegerField()
    available = IntegerField()


class SnapshotMetaSerializer(serializers.Serializer):
    as_of = DateTimeField(help_text="The moment the rows describe.")
    rows = IntegerField()
    last_movement_id = CharField(
        allow_null=True, help_text="The newest ledger movement the rows include (null: none yet)."
    )
    sync_token = CharField(
        help_text="Follow `GET /v1/events/sync?token=` from here: every later change, once."
    )


class SnapshotSerializer(serializers.Serializer):
    data = SnapshotRowSerializer(many=True)
    meta = SnapshotMetaSerializer()


class StockChangeSerializer(serializers.Serializer):
    movements = MovementSerializer(many=True)
    levels = StockLevelSerializer(many=True, help_text="The new counts where stock moved.")


class ThresholdOutSerializer(serializers.ModelSerializer):
    product_id = CharField(source="product.public_id")
    sku = CharField(source="product.sku")
    warehouse_id = CharField(source="warehouse.public_id")
    low_stock_threshold = IntegerField(source="threshold", allow_null=True)
    is_low = BooleanField(help_text="An alert fired and available has not recovered.")

    class Meta:
        model = LowStockRule
        fields = [
            "product_id",
            "sku",
            "warehouse_id",
            "low_stock_threshold",
            "is_low",
            "low_since",
            "updated_at",
        ]
