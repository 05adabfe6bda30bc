"""The API representation of products: response bodies and webhook payloads alike."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product
from vectis.serializers import MoneyField, represent


class DimensionsSerializer(serializers.Serializer):
    length = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    width = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    height = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    unit = serializers.ChoiceField(choices=["cm", "in"])


class KitComponentOutSerializer(serializers.Serializer):
    sku = serializers.CharField(source="component.sku")
    product_id = serializers.CharField(source="component.public_id")
    quantity = serializers.IntegerField()


class ProductSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    dimensions = serializers.SerializerMethodField()
    cost = MoneyField(allow_null=True)
    price = MoneyField(allow_null=True)
    components = serializers.SerializerMethodField()
    metadata = serializers.JSONField()

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "type",
            "name",
            "description",
            "barcode",
            "hs_code",
            "country_of_origin",
            "weight",
            "weight_unit",
            "dimensions",
            "cost",
            "price",
            "currency",
            "tracking",
            "low_stock_threshold",
            "active",
            "components",
            "metadata",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(DimensionsSerializer)
    def get_dimensions(self, obj):
        # Built by hand: a nested serializer per product would dominate bulk serialisation.
        def fmt(value):
            return None if value is None else f"{value:.2f}"

        return {
            "length": fmt(obj.length),
            "width": fmt(obj.width),
            "height": fmt(obj.height),
            "unit": obj.dimension_unit,
        }

    @extend_schema_field(KitComponentOutSerializer(many=True))
    def get_components(self, obj):
        if not obj.is_kit:
            return []
        return KitComponentOutSerializer(obj.components.all(), many=True).data


def product_data(product: Product) -> dict:
    return represent(ProductSerializer, product)


def products_data(products: list[Product]) -> list[dict]:
    """Many products at once (one serializer instance for all)."""
    return [dict(row) for row in ProductSerializer(products, many=True).data]
