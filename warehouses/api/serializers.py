from rest_framework import serializers

from vectis.api.serializers import (
    AddressRepresentation,
    AddressSerializer,
    CodeField,
    StrictSerializer,
)
from vectis.serializers import BooleanField, CharField, IntegerField
from warehouses.models import Location, Warehouse


class WarehouseSerializer(serializers.ModelSerializer):
    id = CharField(source="public_id", read_only=True)
    address = AddressRepresentation()
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
    resource = WarehouseSerializer
    code = CodeField()
    name = CharField(max_length=200)
    address = AddressSerializer()
    priority = IntegerField(default=0, min_value=-1_000_000, max_value=1_000_000)
    active = BooleanField(default=True)

    example = {
        "code": "DAL",
        "name": "Dallas fulfilment centre",
        "address": {
            "address1": "400 Commerce St",
            "city": "Dallas",
            "state": "TX",
            "postal_code": "75202",
            "country": "US",
        },
        "priority": 5,
    }


class WarehouseUpdateSerializer(StrictSerializer):
    code = CodeField(required=False)
    name = CharField(max_length=200, required=False)
    address = AddressSerializer(required=False, partial=True)
    priority = IntegerField(required=False, min_value=-1_000_000, max_value=1_000_000)
    active = BooleanField(required=False)

    resource = WarehouseSerializer
    example = {"name": "Dallas FC (north)", "priority": 8}


class LocationSerializer(serializers.ModelSerializer):
    id = CharField(source="public_id", read_only=True)
    warehouse_id = CharField(source="warehouse.public_id", read_only=True)

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
    resource = LocationSerializer
    code = CodeField()
    name = CharField(max_length=200, required=False, allow_blank=True, default="")
    pickable = BooleanField(default=True)
    active = BooleanField(default=True)

    example = {"code": "A-01-03", "name": "Aisle A, bay 1, shelf 3"}


class LocationUpdateSerializer(StrictSerializer):
    code = CodeField(required=False)
    name = CharField(max_length=200, required=False, allow_blank=True)
    pickable = BooleanField(required=False)
    active = BooleanField(required=False)

    resource = LocationSerializer
    example = {"name": "Aisle A, bay 1, top shelf", "pickable": True}
