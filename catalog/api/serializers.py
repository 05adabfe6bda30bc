import json

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import SkuAlias
from catalog.representation import ProductSerializer
from catalog.validators import HS_CODE_RE, SKU_RE, gtin_checksum_ok
from vectis.api.serializers import StrictSerializer
from vectis.errors import Conflict
from vectis.jsonvalues import has_huge_integer, has_unstorable_text
from vectis.serializers import (
    METADATA_MAX_BYTES,
    BooleanField,
    CharField,
    CountryField,
    CurrencyField,
    DecimalField,
    IntegerField,
    MoneyField,
)

MAX_COMPONENTS = 50

HS_CODE_MESSAGE = "HS code: 6 to 10 digits, optionally dotted (6109.10)."


class SkuField(CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        # Also what the schema states as its pattern (to_internal_value answers first).
        self.validators.append(RegexValidator(SKU_RE, code="invalid_sku"))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not SKU_RE.match(value):
            raise serializers.ValidationError(
                "SKU may contain letters, digits, '-', '_' and '.' only (at most 64).",
                code="invalid_sku",
            )
        return value


class BarcodeField(CharField):
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


@extend_schema_field(
    {
        "type": "object",
        "description": "Your own data: a JSON object, at most 16 kB as compact JSON; integers "
        "within 64 bits; no NUL character (`\\u0000`) or lone surrogate in keys or strings.",
    }
)
class MetadataField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("metadata must be a JSON object.", code="invalid")
        if has_unstorable_text(value):
            # PostgreSQL's jsonb cannot hold them, in a key or in a string.
            raise serializers.ValidationError(
                "metadata must not contain NUL characters (\\u0000) or lone surrogates.",
                code="null_characters",
            )
        if has_huge_integer(value):
            # JSON allows any integer; stored, one beyond 64 bits could not be rendered back.
            raise serializers.ValidationError(
                "metadata integers must be within ±9223372036854775807.", code="invalid"
            )
        if len(json.dumps(value).encode()) > METADATA_MAX_BYTES:
            raise serializers.ValidationError("metadata must be at most 16 kB.", code="too_large")
        return value


class DimensionsInSerializer(StrictSerializer):
    length = DecimalField(
        max_digits=10, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    width = DecimalField(
        max_digits=10, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    height = DecimalField(
        max_digits=10, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    unit = serializers.ChoiceField(choices=["cm", "in"], required=False)


class KitComponentInSerializer(StrictSerializer):
    sku = SkuField()
    quantity = IntegerField(min_value=1, max_value=10_000)


class ProductCreateSerializer(StrictSerializer):
    resource = ProductSerializer
    sku = SkuField()
    type = serializers.ChoiceField(choices=["simple", "kit"], default="simple")
    name = CharField(max_length=300)
    description = CharField(required=False, allow_blank=True)
    barcode = BarcodeField(required=False)
    hs_code = CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        validators=[RegexValidator(HS_CODE_RE, HS_CODE_MESSAGE, code="invalid_hs_code")],
    )
    country_of_origin = CountryField(required=False, allow_blank=True)
    weight = DecimalField(
        max_digits=12, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    weight_unit = serializers.ChoiceField(choices=["g", "kg", "oz", "lb"], required=False)
    dimensions = DimensionsInSerializer(required=False)
    cost = MoneyField(required=False, allow_null=True)
    price = MoneyField(required=False, allow_null=True)
    currency = CurrencyField(required=False)
    tracking = serializers.ChoiceField(choices=["none", "lot", "serial"], required=False)
    # the column is a 32-bit integer; the same bound as a warehouse's own threshold
    low_stock_threshold = IntegerField(
        min_value=0, max_value=1_000_000_000, required=False, allow_null=True
    )
    active = BooleanField(required=False)
    metadata = MetadataField(required=False)
    components = KitComponentInSerializer(many=True, required=False, max_length=MAX_COMPONENTS)

    # _check_kit_shape, as JSON Schema: a kit has components, any other product none.
    schema_rules = {
        "if": {"required": ["type"], "properties": {"type": {"const": "kit"}}},
        "then": {"required": ["components"], "properties": {"components": {"minItems": 1}}},
        "else": {"properties": {"components": {"maxItems": 0}}},
    }
    example = {
        "sku": "HOODIE-GRY-L",
        "name": "Hoodie, grey, L",
        "barcode": "4006381333931",
        "hs_code": "6110.20",
        "country_of_origin": "PT",
        "weight": "0.650",
        "weight_unit": "kg",
        "price": "49.00",
        "currency": "USD",
        "low_stock_threshold": 5,
    }

    def validate_hs_code(self, value):
        if value and not HS_CODE_RE.match(value):
            raise serializers.ValidationError(HS_CODE_MESSAGE, code="invalid_hs_code")
        return value.replace(".", "")

    def validate(self, attrs):
        return _check_kit_shape(attrs, attrs.get("type", "simple"))


class ProductUpdateSerializer(ProductCreateSerializer):
    """PATCH: every field optional; `sku` is immutable."""

    sku = CharField(read_only=True)
    type = serializers.ChoiceField(choices=["simple", "kit"], required=False)
    name = CharField(max_length=300, required=False)

    # With both `type` and `components` the body alone decides (a 400, stated here); with one
    # of them, the product as it is decides too (a 409, see validate).
    schema_rules = {
        "allOf": [
            {
                "if": {
                    "required": ["type", "components"],
                    "properties": {"type": {"const": "kit"}},
                },
                "then": {"properties": {"components": {"minItems": 1}}},
            },
            {
                "if": {"required": ["type"], "properties": {"type": {"const": "simple"}}},
                "then": {"properties": {"components": {"maxItems": 0}}},
            },
        ]
    }
    example = {"name": "Hoodie, heather grey, L", "price": "45.00"}

    def validate(self, attrs):
        if "components" not in attrs and "type" not in attrs:
            return attrs
        if "type" in attrs and ("components" in attrs or attrs["type"] == "simple"):
            return _check_kit_shape(attrs, attrs["type"])
        current = self.context.get("product")
        is_kit = attrs.get("type", current.type if current else None) == "kit"
        components = attrs.get("components")
        # what the product is now decides the rest: a conflict with its state
        if (
            is_kit
            and not components
            and ("components" in attrs or not (current and current.is_kit))
        ):
            raise Conflict(
                "A kit needs at least one component; send them.",
                field="components",
                code="components_required",
            )
        if not is_kit and components:
            raise Conflict(
                "Only products of type 'kit' have components; send type kit with them.",
                field="components",
                code="not_a_kit",
            )
        return attrs


def _check_kit_shape(attrs, product_type):
    components = attrs.get("components")
    if product_type == "kit":
        if not components:
            raise serializers.ValidationError(
                {"components": ["A kit needs at least one component."]}, code="required"
            )
    elif components:
        raise serializers.ValidationError(
            {"components": ["Only products of type 'kit' have components."]}, code="invalid"
        )
    return attrs


class SkuAliasSerializer(serializers.ModelSerializer):
    id = CharField(source="public_id", read_only=True)
    product_id = CharField(source="product.public_id", read_only=True)
    sku = CharField(source="product.sku", read_only=True, help_text="The product's own SKU.")

    class Meta:
        model = SkuAlias
        fields = ["id", "product_id", "sku", "channel", "alias", "created_at"]


class AliasInSerializer(StrictSerializer):
    """A channel's alias for a product named by `sku` or `product_id`."""

    sku = CharField(max_length=64, required=False, help_text="The product's own SKU.")
    product_id = CharField(max_length=32, required=False, help_text="Or its id (`prd_…`).")
    channel = CharField(max_length=64)
    alias = CharField(max_length=128)

    one_of = (("sku", "product_id"),)
    example = {"sku": "TEE-BLK-M", "channel": "amazon", "alias": "B0C1234XYZ"}


class AliasLookupSerializer(serializers.Serializer):
    channel = CharField(max_length=64, help_text="The channel, as its aliases name it.")
    alias = CharField(max_length=128, help_text="The channel's SKU.")


class AliasBulkSerializer(StrictSerializer):
    aliases = AliasInSerializer(many=True, allow_empty=False, max_length=1000)

    example = {
        "aliases": [
            {"sku": "TEE-BLK-M", "channel": "amazon", "alias": "B0C1234XYZ"},
            {"sku": "TEE-BLK-M", "channel": "shopify", "alias": "tee-black-m"},
        ]
    }


class SkuAliasCreateSerializer(StrictSerializer):
    channel = CharField(max_length=64)
    alias = CharField(max_length=128)

    example = {"channel": "amazon", "alias": "B0C1234XYZ"}


@extend_schema_field(
    {
        "type": "object",
        # Items are validated one by one: an invalid one, also one without a `sku` or with a
        # sku that is not text, is a result with status "error" in a 200 (the request is still
        # accepted), so the request's schema states only that each is an object (the contract
        # run flagged a 200 to an item without sku while the schema required one).
        "description": "A product as in POST /v1/products (its update fields when the SKU "
        "exists). An invalid one, also one without `sku`, is reported in `results`; with "
        "`atomic=true` it refuses the whole request.",
    }
)
class BulkProductField(serializers.DictField):
    pass


class ProductBulkSerializer(StrictSerializer):
    products = serializers.ListField(child=BulkProductField(), allow_empty=False, max_length=1000)

    example = {
        "products": [
            {"sku": "SOCK-BLK", "name": "Socks, black", "price": "8.00"},
            {"sku": "SOCK-WHT", "name": "Socks, white", "price": "8.00"},
        ]
    }


class BulkItemErrorSerializer(serializers.Serializer):
    code = CharField()
    message = CharField()
    field = CharField(allow_null=True)


class BulkItemResultSerializer(serializers.Serializer):
    index = IntegerField()
    sku = CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "error"])
    id = CharField(allow_null=True, required=False)
    error = BulkItemErrorSerializer(required=False)


class ProductBulkResultSerializer(serializers.Serializer):
    created = IntegerField()
    updated = IntegerField()
    failed = IntegerField()
    results = BulkItemResultSerializer(many=True)


class AliasResultSerializer(serializers.Serializer):
    index = IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    channel = CharField(allow_null=True)
    alias = CharField(allow_null=True)
    id = CharField(allow_null=True, required=False)
    product_id = CharField(allow_null=True, required=False)
    error = BulkItemErrorSerializer(required=False)


class AliasBulkResultSerializer(serializers.Serializer):
    created = IntegerField()
    updated = IntegerField()
    unchanged = IntegerField()
    failed = IntegerField()
    results = AliasResultSerializer(many=True)
