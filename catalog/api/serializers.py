import json

from rest_framework import serializers

from catalog.models import SkuAlias
from catalog.representation import ProductSerializer  # noqa: F401  (re-exported for views)
from catalog.validators import HS_CODE_RE, SKU_RE, gtin_checksum_ok
from vectis.api.serializers import CountryField, StrictSerializer
from vectis.currencies import CURRENCY_CODES
from vectis.serializers import MoneyField

METADATA_MAX_BYTES = 16 * 1024
MAX_COMPONENTS = 50


class SkuField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not SKU_RE.match(value):
            raise serializers.ValidationError(
                "SKU may contain letters, digits, '-', '_' and '.' only (at most 64).",
                code="invalid_sku",
            )
        return value


class BarcodeField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 14)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not gtin_checksum_ok(value):
            raise serializers.ValidationError(
                "Not a valid UPC/EAN/GTIN barcode (8, 12, 13 or 14 digits with a correct check "
                "digit).",
                code="invalid_barcode",
            )
        return value


class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if value not in CURRENCY_CODES:
            raise serializers.ValidationError(
                f"{value!r} is not an ISO 4217 currency code.", code="invalid_currency"
            )
        return value


class MetadataField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("metadata must be a JSON object.", code="invalid")
        if len(json.dumps(value).encode()) > METADATA_MAX_BYTES:
            raise serializers.ValidationError("metadata must be at most 16 kB.", code="too_large")
        return value


class DimensionsInSerializer(StrictSerializer):
    length = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    width = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    height = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    unit = serializers.ChoiceField(choices=["cm", "in"], required=False)


class KitComponentInSerializer(StrictSerializer):
    sku = SkuField()
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class ProductCreateSerializer(StrictSerializer):
    sku = SkuField()
    type = serializers.ChoiceField(choices=["simple", "kit"], default="simple")
    name = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    barcode = BarcodeField(required=False)
    hs_code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    country_of_origin = CountryField(required=False, allow_blank=True)
    weight = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    weight_unit = serializers.ChoiceField(choices=["g", "kg", "oz", "lb"], required=False)
    dimensions = DimensionsInSerializer(required=False)
    cost = MoneyField(required=False, allow_null=True)
    price = MoneyField(required=False, allow_null=True)
    currency = CurrencyField(required=False)
    tracking = serializers.ChoiceField(choices=["none", "lot", "serial"], required=False)
    low_stock_threshold = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    active = serializers.BooleanField(required=False)
    metadata = MetadataField(required=False)
    components = KitComponentInSerializer(many=True, required=False, max_length=MAX_COMPONENTS)

    def validate_hs_code(self, value):
        if value and not HS_CODE_RE.match(value):
            raise serializers.ValidationError(
                "HS code: 6 to 10 digits, optionally dotted (6109.10).", code="invalid_hs_code"
            )
        return value.replace(".", "")

    def validate(self, attrs):
        return _check_kit_shape(attrs, attrs.get("type", "simple"))


class ProductUpdateSerializer(ProductCreateSerializer):
    """PATCH: every field optional; `sku` is immutable."""

    sku = serializers.CharField(read_only=True)
    id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    type = serializers.ChoiceField(choices=["simple", "kit"], required=False)
    name = serializers.CharField(max_length=300, required=False)

    def validate(self, attrs):
        current = self.context.get("product")
        product_type = attrs.get("type", current.type if current else None)
        if "components" not in attrs and "type" not in attrs:
            return attrs
        return _check_kit_shape(
            attrs, product_type, existing_components=bool(current and current.is_kit)
        )


def _check_kit_shape(attrs, product_type, existing_components: bool = False):
    components = attrs.get("components")
    if product_type == "kit":
        if not components and not existing_components:
            raise serializers.ValidationError(
                {"components": ["A kit needs at least one component."]}, code="required"
            )
    elif components:
        raise serializers.ValidationError(
            {"components": ["Only products of type 'kit' have components."]}, code="invalid"
        )
    return attrs


class SkuAliasSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    product_id = serializers.CharField(source="product.public_id", read_only=True)

    class Meta:
        model = SkuAlias
        fields = ["id", "product_id", "channel", "alias", "created_at"]


class SkuAliasCreateSerializer(StrictSerializer):
    channel = serializers.CharField(max_length=64)
    alias = serializers.CharField(max_length=128)


class ProductBulkSerializer(StrictSerializer):
    products = serializers.ListField(
        child=serializers.DictField(), allow_empty=False, max_length=1000
    )


class BulkItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    sku = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "error"])
    id = serializers.CharField(allow_null=True, required=False)
    error = BulkItemErrorSerializer(required=False)


class ProductBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)
