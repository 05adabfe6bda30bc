"""Catalog reads, including the SKU resolution orders use."""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from catalog.models import KitComponent, Product, SkuAlias


def products_for_account(account) -> QuerySet[Product]:
    components = KitComponent.objects.select_related("component").order_by("id")
    return Product.objects.filter(account=account).prefetch_related(
        Prefetch("components", queryset=components)
    )


def aliases_for_account(account) -> QuerySet[SkuAlias]:
    return SkuAlias.objects.filter(account=account).select_related("product")


def aliases_for_product(product: Product) -> QuerySet[SkuAlias]:
    return SkuAlias.objects.filter(product=product).select_related("product")


def resolve_skus(*, account, skus: Iterable[str], channel: str | None = None) -> dict[str, Product]:
    """Map each SKU to a product: the product's own SKU first, else the channel's alias.

    Two queries whatever the number of SKUs; SKUs that match nothing are absent.
    """
    wanted = set(skus)
    found = {p.sku: p for p in Product.objects.filter(account=account, sku__in=wanted)}
    missing = wanted - found.keys()
    if missing and channel:
        for alias in SkuAlias.objects.filter(
            account=account, channel=channel, alias__in=missing
        ).select_related("product"):
            found[alias.alias] = alias.product
    return found


def resolve_sku(*, account, sku: str, channel: str | None = None) -> Product | None:
    return resolve_skus(account=account, skus=[sku], channel=channel).get(sku)


def stock_parts(products: Iterable[Product]) -> dict[int, list[tuple[int, int]]]:
    """Product id → the stocked products one unit consumes, as (product id, units): a simple
    product is itself; a kit is its components. One query, whatever the number of kits."""
    products = list(products)
    parts: dict[int, list[tuple[int, int]]] = {p.pk: [(p.pk, 1)] for p in products if not p.is_kit}
    kits = {p.pk for p in products if p.is_kit}
    for kit_id, component_id, quantity in (
        KitComponent.objects.filter(kit_id__in=kits)
        .order_by("id")
        .values_list("kit_id", "component_id", "quantity")
    ):
        parts.setdefault(kit_id, []).append((component_id, quantity))
    return parts
