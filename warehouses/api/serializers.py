from rest_framework import serializers

from vectis.api.serializers import AddressSerializer, CodeField, StrictSerializer
from warehouses.models import Location, Warehouse


class WarehouseSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    address = AddressSerializer()
    default_location_id = serializers.SerializerMethodField()

    class Meta:
        model = Warehouse
        fields = [
            "id",
            "code",
            "name",
            "address",
            "priority",
            "active",
            "default_location_id",
            "created_at",
            "updated_at",
        ]

    def get_default_location_id(self, obj) -> str | None:
        value = getattr(obj, "default_location_public_id", None)
        if value is None:
            value = (
                obj.locations.filter(is_default=True).values_list("public_id", flat=True).first()
            )
        return value


class WarehouseCreateSerializer(StrictSerializer):
    code = CodeField()
    name = serializers.CharField(max_length=200)
    address = AddressSerializer()
    priority = serializers.IntegerField(default=0, min_value=-1_000_000, max_value=1_000_000)
    active = serializers.BooleanField(default=True)


class WarehouseUpdateSerializer(StrictSerializer):
    code = CodeField(required=False)
    name = serializers.CharField(max_length=200, required=False)
    address = AddressSerializer(required=False, partial=True)
    priority = serializers.IntegerField(required=False, min_value=-1_000_000, max_value=1_000_000)
    active = serializers.BooleanField(required=False)
    id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class LocationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    warehouse_id = serializers.CharField(source="warehouse.public_id", read_only=True)

    class Meta:
        model = Location
        fields = [
            "id",
            "warehouse_id",
            "code",
            "name",
            "pickable",
            "active",
            "is_default",
            "created_at",
            "updated_at",
        ]


class LocationCreateSerializer(StrictSerializer):
    code = CodeField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    pickable = serializers.BooleanField(default=True)
    active = serializers.BooleanField(default=True)


class LocationUpdateSerializer(StrictSerializer):
    code = CodeField(required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    pickable = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    id = serializers.CharField(read_only=True)
    warehouse_id = serializers.CharField(read_only=True)
    is_default = serializers.BooleanField(read_only=True)
