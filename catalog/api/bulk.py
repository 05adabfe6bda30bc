"""Turning raw product dicts (API bulk or CSV rows) into validated bulk items."""

from catalog.api.serializers import ProductCreateSerializer, ProductUpdateSerializer
from catalog.models import Product
from catalog.services import BulkItem, BulkOutcome
from vectis.api.errors import flatten_errors
from vectis.errors import ValidationFailed


def prepare(
    account, raw_items: list, *, first_index: int = 0
) -> tuple[list[BulkItem], list[BulkOutcome]]:
    """Validate each raw item as a create (new SKU) or a partial update (existing SKU)."""
    skus = [
        r.get("sku") for r in raw_items if isinstance(r, dict) and isinstance(r.get("sku"), str)
    ]
    existing = {p.sku: p for p in Product.objects.filter(account=account, sku__in=skus)}
    items, failed = [], []
    for offset, raw in enumerate(raw_items):
        index = first_index + offset
        sku = raw.get("sku") if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            failed.append(_failure(index, None, None, "Each product must be an object.", "invalid"))
            continue
        product = existing.get(sku) if isinstance(sku, str) else None
        if product is not None:
            fields = {k: v for k, v in raw.items() if k != "sku"}
            serializer = ProductUpdateSerializer(
                data=fields, partial=True, context={"product": product}
            )
        else:
            serializer = ProductCreateSerializer(data=raw)
        if serializer.is_valid():
            items.append(BulkItem(index, {**serializer.validated_data, "sku": sku}, product))
        else:
            first = flatten_errors(serializer.errors)[0]
            failed.append(_failure(index, sku, first["field"], first["message"], first["code"]))
    return items, failed


def _failure(index, sku, field, message, code) -> BulkOutcome:
    code = "validation_error" if code in (None, "invalid") else code
    return BulkOutcome.failed(index, sku, ValidationFailed(message, field=field, code=code))
