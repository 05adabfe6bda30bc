"""The API representation of orders (responses and webhook events)."""

from rest_framework import serializers

from orders.models import Order, OrderEvent, OrderLine, Package, PackageLine, TrackingEvent
from orders.selectors import orders_for_account, packages_for_account
from vectis.serializers import MoneyField, represent


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
    # source="*": the totals are the order's own fields, rendered by fields bound once per
    # serializer (a serializer per order made the orders import 13% slower).
    totals = OrderTotalsSerializer(source="*", read_only=True)
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


class OrderEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["type", "from_status", "to_status", "data", "actor", "created_at"]


def order_data(order: Order, *, lines: list[OrderLine] | None = None) -> dict:
    """The order as the API shows it. With `lines` (in position order, products loaded) it is
    built from the objects at hand, without reading the order again."""
    if lines is None:
        order = orders_for_account(order.account_id).get(pk=order.pk)
    else:
        order._prefetched_objects_cache = {"lines": lines}
    return represent(OrderSerializer, order)


class PackageLineSerializer(serializers.ModelSerializer):
    line_id = serializers.CharField(source="order_line.public_id")
    sku = serializers.CharField(source="order_line.sku")

    class Meta:
        model = PackageLine
        fields = ["line_id", "sku", "quantity"]


class PackageDimensionsSerializer(serializers.Serializer):
    length = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    width = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    height = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    unit = serializers.CharField(source="dimension_unit")


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["status", "occurred_at", "location", "description", "created_at"]


class PackageSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    order_id = serializers.CharField(source="order.public_id")
    warehouse_id = serializers.CharField(source="warehouse.public_id")
    lines = PackageLineSerializer(many=True)
    tracking_events = TrackingEventSerializer(many=True)
    dimensions = PackageDimensionsSerializer(source="*", read_only=True)
    weight = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)

    class Meta:
        model = Package
        fields = [
            "id",
            "order_id",
            "warehouse_id",
            "status",
            "lines",
            "carrier",
            "service",
            "tracking_number",
            "weight",
            "weight_unit",
            "dimensions",
            "shipped_at",
            "delivered_at",
            "tracking_events",
            "created_at",
            "updated_at",
        ]


def package_data(package: Package) -> dict:
    """A package as the API shows it, from the objects at hand (order, warehouse, lines with
    their order lines, tracking events loaded)."""
    return represent(PackageSerializer, package)


def packages_data(packages: list[Package]) -> list[dict]:
    if not packages:
        return []
    fresh = packages_for_account(packages[0].account_id).filter(pk__in=[p.pk for p in packages])
    return PackageSerializer(fresh.order_by("id"), many=True).data
