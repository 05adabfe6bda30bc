"""The API representation of orders (responses and webhook events)."""

from rest_framework import serializers

from orders.models import Order, OrderEvent, OrderLine
from vectis.serializers import MoneyField


class OrderLineSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    product_id = serializers.CharField(source="product.public_id")
    price = MoneyField()

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "sku",
            "product_id",
            "quantity",
            "price",
            "quantity_allocated",
            "quantity_shipped",
            "quantity_cancelled",
            "quantity_returned",
        ]


class OrderTotalsSerializer(serializers.Serializer):
    shipping = MoneyField()
    tax = MoneyField()
    discount = MoneyField()


class OrderSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    items = OrderLineSerializer(source="lines", many=True)
    totals = serializers.SerializerMethodField()
    subtotal = MoneyField()
    total = MoneyField()

    class Meta:
        model = Order
        fields = [
            "id",
            "external_id",
            "channel",
            "status",
            "sub_status",
            "hold_reason",
            "currency",
            "items",
            "ship_to",
            "shipping_method",
            "placed_at",
            "notes",
            "tags",
            "metadata",
            "totals",
            "subtotal",
            "total",
            "payment",
            "priority",
            "created_at",
            "updated_at",
        ]

    def get_totals(self, obj) -> dict:
        return OrderTotalsSerializer(obj).data


class OrderEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["type", "from_status", "to_status", "data", "actor", "created_at"]


def orders_queryset(account):
    from django.db.models import Prefetch

    lines = OrderLine.objects.select_related("product").order_by("position")
    return Order.objects.filter(account=account).prefetch_related(Prefetch("lines", queryset=lines))


def order_data(order: Order) -> dict:
    fresh = orders_queryset(order.account_id).get(pk=order.pk)
    return OrderSerializer(fresh).data
