"""The API representation of stock rows, movements and reservations (responses and events)."""

from rest_framework import serializers

from inventory.models import Reservation, StockLevel, StockMovement


class StockLevelSerializer(serializers.ModelSerializer):
    """One bin's stock of one product."""

    product_id = serializers.CharField(source="product.public_id")
    sku = serializers.CharField(source="product.sku")
    warehouse_id = serializers.CharField(source="warehouse.public_id")
    location_id = serializers.CharField(source="location.public_id")
    location_code = serializers.CharField(source="location.code")
    available = serializers.IntegerField()

    class Meta:
        model = StockLevel
        fields = [
            "product_id",
            "sku",
            "warehouse_id",
            "location_id",
            "location_code",
            "on_hand",
            "reserved",
            "available",
            "updated_at",
        ]


class MovementSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    product_id = serializers.CharField(source="product.public_id")
    sku = serializers.CharField(source="product.sku")
    warehouse_id = serializers.CharField(source="warehouse.public_id")
    location_id = serializers.CharField(source="location.public_id")
    location_code = serializers.CharField(source="location.code")

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product_id",
            "sku",
            "warehouse_id",
            "location_id",
            "location_code",
            "quantity",
            "on_hand_after",
            "reason",
            "reference",
            "note",
            "actor",
            "created_at",
        ]


class ReservationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    product_id = serializers.CharField(source="product.public_id")
    sku = serializers.CharField(source="product.sku")
    warehouse_id = serializers.CharField(source="warehouse.public_id")
    location_id = serializers.CharField(source="stock_level.location.public_id")
    status = serializers.SerializerMethodField(
        help_text="An active hold past `expires_at` reads `expired` even before the sweep runs."
    )
    order_id = serializers.CharField(
        source="order_line.order.public_id", default=None, allow_null=True
    )
    line_id = serializers.CharField(source="order_line.public_id", default=None, allow_null=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "product_id",
            "sku",
            "warehouse_id",
            "location_id",
            "quantity",
            "reference",
            "order_id",
            "line_id",
            "status",
            "expires_at",
            "created_at",
            "closed_at",
        ]

    def get_status(self, obj) -> str:
        return effective_status(obj)


def effective_status(reservation: Reservation, now=None) -> str:
    return Reservation.EXPIRED if reservation.lapsed(now) else reservation.status


def levels_data(level_ids) -> list[dict]:
    levels = (
        StockLevel.objects.filter(pk__in=list(level_ids))
        .select_related("product", "warehouse", "location")
        .order_by("pk")
    )
    return StockLevelSerializer(levels, many=True).data


def movements_data(movements: list[StockMovement]) -> list[dict]:
    return MovementSerializer(movements, many=True).data


def reservations_data(reservations: list[Reservation]) -> list[dict]:
    return ReservationSerializer(reservations, many=True).data
