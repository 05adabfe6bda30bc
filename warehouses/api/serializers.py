from rest_framework import serializers

from vectis.api.serializers import (
    AddressSerializer,
    CodeField,
    StrictSerializer,
)
from vectis.serializers import BooleanField, CharField, IntegerField
from warehouses.models import Location
from warehouses.representation import WarehouseSerializer


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
