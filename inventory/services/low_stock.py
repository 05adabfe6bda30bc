"""Low-stock alerts: `inventory.low_stock` once per crossing of a (product, warehouse) threshold."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import Product
from inventory.exceptions import KitHoldsNoStock
from inventory.models import LowStockRule, StockLevel
from inventory.selectors import warehouse_totals
from warehouses.models import Warehouse
from webhooks import services as webhooks


def set_threshold(*, product: Product, warehouse: Warehouse, threshold: int | None) -> LowStockRule:
    """Override (or, with None, stop overriding) the product's threshold in one warehouse."""
    if product.is_kit:
        raise KitHoldsNoStock(
            "Kits have no stock of their own; set thresholds on their components.", field="sku"
        )
    with transaction.atomic():
        rule = _locked_rule(product, warehouse)
        rule.threshold = threshold
        rule.save(update_fields=["threshold", "updated_at"])
    transaction.on_commit(lambda: evaluate(product_id=product.pk, warehouse_id=warehouse.pk))
    return rule


def _locked_rule(product: Product, warehouse: Warehouse) -> LowStockRule:
    LowStockRule.objects.bulk_create(
        [LowStockRule(account_id=product.account_id, product=product, warehouse=warehouse)],
        ignore_conflicts=True,
    )
    return LowStockRule.objects.select_for_update().get(product=product, warehouse=warehouse)


def evaluate(*, product_id: int, warehouse_id: int) -> bool:
    """Compare available stock with the threshold; emit inventory.low_stock when it has fallen
    to or below it and had not already (the rule row, locked, remembers). Returns whether an
    event was emitted. Safe to run any number of times."""
    product = Product.objects.filter(pk=product_id).first()
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if product is None or warehouse is None or product.is_kit:
        return False
    if not StockLevel.objects.filter(product_id=product_id, warehouse_id=warehouse_id).exists():
        return False  # the warehouse does not carry the product: nothing to alert about
    with transaction.atomic():
        rule = (
            LowStockRule.objects.select_for_update()
            .filter(product_id=product_id, warehouse_id=warehouse_id)
            .first()
        )
        override = rule.threshold if rule is not None else None
        threshold = override if override is not None else product.low_stock_threshold
        if threshold is None:
            if rule is not None and rule.is_low:
                rule.is_low, rule.low_since = False, None
                rule.save(update_fields=["is_low", "low_since", "updated_at"])
            return False
        if rule is None:
            rule = _locked_rule(product, warehouse)
        totals = warehouse_totals(product_id=product_id, warehouse_id=warehouse_id)
        is_low = totals["available"] <= threshold
        if is_low == rule.is_low:
            return False
        rule.is_low = is_low
        rule.low_since = timezone.now() if is_low else None
        rule.save(update_fields=["is_low", "low_since", "updated_at"])
        if is_low:
            webhooks.emit(
                product.account_id,
                "inventory.low_stock",
                {
                    "product_id": product.public_id,
                    "sku": product.sku,
                    "warehouse_id": warehouse.public_id,
                    "threshold": threshold,
                    **totals,
                },
            )
        return is_low


def evaluate_many(pairs) -> int:
    """`evaluate` for each (product_id, warehouse_id); returns the number of events emitted."""
    return sum(evaluate(product_id=p, warehouse_id=w) for p, w in sorted(set(map(tuple, pairs))))


def sweep(*, window: timedelta = timedelta(minutes=3), now: datetime | None = None) -> int:
    """Re-evaluate every pair whose stock changed within `window`: catches checks that were never
    queued (broker down at commit time)."""
    since = (now or timezone.now()) - window
    with_threshold = Q(product__low_stock_threshold__isnull=False) | Q(
        product__low_stock_rules__threshold__isnull=False
    )
    pairs = (
        StockLevel.objects.filter(with_threshold, updated_at__gte=since)
        .values_list("product_id", "warehouse_id")
        .distinct()
    )
    return evaluate_many(pairs)
