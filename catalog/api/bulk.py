"""Turning raw product dicts (API bulk or CSV rows) into validated bulk items."""

from rest_framework.exceptions import ValidationError

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
    # One serializer of each kind for the whole batch: building DRF fields per row would
    # cost more than everything else the import does. Kit rules that depend on the stored
    # product are checked by the service for the whole batch.
    creating = ProductCreateSerializer()
    updating = ProductUpdateSerializer(partial=True)
    items, failed = [], []
    for offset, raw in enumerate(raw_items):
        index = first_index + offset
        sku = raw.get("sku") if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            failed.append(_failure(index, None, None, "Each product must be an object.", "invalid"))
            continue
        product = existing.get(sku) if isinstance(sku, str) else None
        try:
            if product is not None:
                data = updating.run_validation({k: v for k, v in raw.items() if k != "sku"})
            else:
                data = creating.run_validation(raw)
        except ValidationError as exc:
            first = flatten_errors(exc.detail)[0]
            failed.append(_failure(index, sku, first["field"], first["message"], first["code"]))
            continue
        items.append(BulkItem(index, {**data, "sku": sku}, product))
    return items, failed


def _failure(index, sku, field, message, code) -> BulkOutcome:
    code = "validation_error" if code in (None, "invalid") else code
    return BulkOutcome.failed(index, sku, ValidationFailed(message, field=field, code=code))
