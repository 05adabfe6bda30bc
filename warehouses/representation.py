"""A warehouse as the API shows it, also the payload of warehouse.* events."""

from rest_framework import serializers

from vectis.serializers import AddressRepresentation, CharField, represent
from warehouses.models import Warehouse


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


def warehouse_data(warehouse: Warehouse) -> dict:
    return represent(WarehouseSerializer, warehouse)
