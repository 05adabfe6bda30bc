from rest_framework import serializers

from catalog.api.serializers import CurrencyField, MetadataField
from orders.representation import OrderEventSerializer, OrderSerializer  # noqa: F401
from vectis.api.serializers import AddressSerializer, StrictSerializer
from vectis.serializers import MoneyField

MAX_LINES = 500


class ShipToSerializer(AddressSerializer):
    name = serializers.CharField(max_length=200)


class OrderItemSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=64, help_text="Product SKU or the channel's alias.")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)
    price = MoneyField(required=False, default=0)


class TotalsInSerializer(StrictSerializer):
    shipping = MoneyField(required=False, default=0)
    tax = MoneyField(required=False, default=0)
    discount = MoneyField(required=False, default=0)


class PaymentSerializer(StrictSerializer):
    provider = serializers.CharField(max_length=64, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.CharField(max_length=32, required=False, allow_blank=True)


class OrderCreateSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=128)
    channel = serializers.CharField(max_length=64)
    items = OrderItemSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    ship_to = ShipToSerializer()
    currency = CurrencyField(required=False, default="USD")
    shipping_method = serializers.CharField(max_length=100, required=False, allow_blank=True)
    placed_at = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )
    metadata = MetadataField(required=False)
    totals = TotalsInSerializer(required=False)
    payment = PaymentSerializer(required=False)
    priority = serializers.IntegerField(required=False, min_value=-1000, max_value=1000)
    hold = serializers.BooleanField(required=False, default=False)
    hold_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
