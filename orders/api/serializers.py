from rest_framework import serializers

from catalog.api.serializers import MetadataField
from orders.representation import OrderEventSerializer, OrderSerializer  # noqa: F401  (views)
from vectis.api.serializers import AddressSerializer, StrictSerializer, TrackingNumberField
from vectis.serializers import (
    BooleanField,
    CharField,
    CurrencyField,
    DateTimeField,
    IntegerField,
    MoneyField,
)

MAX_LINES = 500


class ShipToSerializer(AddressSerializer):
    name = CharField(max_length=200)


class OrderItemSerializer(StrictSerializer):
    sku = CharField(max_length=64, help_text="Product SKU or the channel's alias.")
    quantity = IntegerField(min_value=1, max_value=1_000_000)
    price = MoneyField(required=False, default=0)


class TotalsInSerializer(StrictSerializer):
    shipping = MoneyField(required=False, default=0)
    tax = MoneyField(required=False, default=0)
    discount = MoneyField(required=False, default=0)


class PaymentSerializer(StrictSerializer):
    provider = CharField(max_length=64, required=False, allow_blank=True)
    reference = CharField(max_length=200, required=False, allow_blank=True)
    status = CharField(max_length=32, required=False, allow_blank=True)


class OrderCreateSerializer(StrictSerializer):
    resource = OrderSerializer
    external_id = CharField(max_length=128)
    channel = CharField(max_length=64)
    items = OrderItemSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    ship_to = ShipToSerializer()
    currency = CurrencyField(required=False, default="USD")
    shipping_method = CharField(max_length=100, required=False, allow_blank=True)
    placed_at = DateTimeField(required=False, allow_null=True)
    notes = CharField(max_length=5000, required=False, allow_blank=True)
    tags = serializers.ListField(child=CharField(max_length=64), required=False, max_length=50)
    metadata = MetadataField(required=False)
    totals = TotalsInSerializer(required=False)
    payment = PaymentSerializer(required=False)
    priority = IntegerField(required=False, min_value=-1000, max_value=1000)
    hold = BooleanField(required=False, default=False)
    hold_reason = CharField(max_length=500, required=False, allow_blank=True)

    example = {
        "external_id": "SHOP-1001",
        "channel": "shopify",
        "items": [
            {"sku": "TEE-BLK-M", "quantity": 2, "price": "19.00"},
            {"sku": "MUG-WHT", "quantity": 1, "price": "12.50"},
        ],
        "ship_to": {
            "name": "Ada Lovelace",
            "address1": "12 Market St",
            "city": "Phoenix",
            "state": "AZ",
            "postal_code": "85004",
            "country": "US",
        },
        "currency": "USD",
        "shipping_method": "ground",
        "totals": {"shipping": "4.95", "tax": "3.60"},
    }


class LineRefSerializer(StrictSerializer):
    line_id = CharField(max_length=32, required=False)
    sku = CharField(max_length=64, required=False)
    quantity = IntegerField(min_value=1, max_value=1_000_000)

    one_of = (("line_id", "sku"),)


class HoldSerializer(StrictSerializer):
    reason = CharField(max_length=500)

    example = {"reason": "Address to be confirmed by the customer"}


class CancelSerializer(StrictSerializer):
    reason = CharField(max_length=500, required=False, allow_blank=True, default="")
    items = LineRefSerializer(
        many=True,
        required=False,
        allow_empty=False,
        max_length=MAX_LINES,
        help_text="Cancel only these units (a partial cancel); default: everything unshipped.",
    )

    example = {"reason": "Customer changed their mind"}


class PackageInSerializer(StrictSerializer):
    warehouse_id = CharField(max_length=32)
    lines = LineRefSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    carrier = CharField(max_length=64, required=False, allow_blank=True)
    service = CharField(max_length=64, required=False, allow_blank=True)
    tracking_number = TrackingNumberField(required=False)


class ShipSerializer(StrictSerializer):
    packages = PackageInSerializer(
        many=True,
        required=False,
        allow_empty=False,
        max_length=50,
        help_text="Default: one package per warehouse with everything allocated there.",
    )

    example = {}


class ItemChangeSerializer(StrictSerializer):
    line_id = CharField(
        max_length=32, required=False, help_text="A line to change; quantity 0 removes it."
    )
    sku = CharField(max_length=64, required=False, help_text="A line to add.")
    quantity = IntegerField(min_value=0, max_value=1_000_000)
    price = MoneyField(required=False)

    # Enforced below with its own message; stated in the schema as one of.
    schema_rules = {"oneOf": [{"required": ["line_id"]}, {"required": ["sku"]}]}

    def validate(self, attrs):
        if bool(attrs.get("line_id")) == bool(attrs.get("sku")):
            raise serializers.ValidationError(
                {"line_id": ["Send line_id (to change a line) or sku (to add one)."]},
                code="required",
            )
        if attrs.get("sku") and attrs["quantity"] == 0:
            raise serializers.ValidationError(
                {"quantity": ["A new line needs a quantity of at least 1."]}, code="min_value"
            )
        return attrs


class OrderUpdateSerializer(StrictSerializer):
    resource = OrderSerializer
    ship_to = ShipToSerializer(required=False, partial=True)
    notes = CharField(max_length=5000, required=False, allow_blank=True)
    tags = serializers.ListField(child=CharField(max_length=64), required=False, max_length=50)
    metadata = MetadataField(required=False)
    shipping_method = CharField(max_length=100, required=False, allow_blank=True)
    sub_status = CharField(max_length=100, required=False, allow_blank=True)
    priority = IntegerField(required=False, min_value=-1000, max_value=1000)
    items = ItemChangeSerializer(many=True, required=False, allow_empty=False, max_length=MAX_LINES)

    example = {"notes": "Leave at the back door", "tags": ["vip"], "priority": 10}


class OrderStatusSerializer(serializers.Serializer):
    id = CharField(source="public_id")
    status = CharField()
    sub_status = CharField()
    updated_at = DateTimeField()


MAX_BULK = 100


class OrderBulkSerializer(StrictSerializer):
    orders = serializers.ListField(
        child=serializers.DictField(),
        allow_empty=False,
        max_length=MAX_BULK,
        help_text="Up to 100 order bodies as for POST /v1/orders.",
    )

    example = {"orders": [{**OrderCreateSerializer.example, "external_id": "SHOP-1002"}]}


class BulkOrderResultSerializer(serializers.Serializer):
    index = IntegerField()
    external_id = CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "error"])
    id = CharField(required=False, help_text="The new order's id.")
    error = serializers.DictField(required=False, help_text="`code`, `message`, `field`.")


class CancelBulkSerializer(StrictSerializer):
    order_ids = serializers.ListField(
        child=CharField(max_length=32), allow_empty=False, max_length=MAX_BULK
    )
    reason = CharField(max_length=500, required=False, allow_blank=True, default="")

    example = {"order_ids": ["ord_9mKd4TzQ7wLx2NbV6cHp"], "reason": "Fraud check failed"}


class CancelBulkResultSerializer(serializers.Serializer):
    order_id = CharField()
    status = serializers.ChoiceField(choices=["cancelled", "error"])
    error = serializers.DictField(required=False)


class BulkOrdersResponseSerializer(serializers.Serializer):
    results = BulkOrderResultSerializer(many=True)


class CancelBulkResponseSerializer(serializers.Serializer):
    results = CancelBulkResultSerializer(many=True)
