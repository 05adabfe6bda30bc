"""Catalog reads, including the SKU resolution orders use."""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from catalog.models import KitComponent, Product, SkuAlias


def products_for_account(account) -> QuerySet[Product]:
    components = KitComponent.objects.select_related("component").order_by("id")
    return Product.objects.filter(account=account).prefetch_related(
        Prefetch("components", queryset=components)
    )


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
