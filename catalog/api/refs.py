"""The products a request body names, by `sku` or `product_id`: loaded for many items in one
query, an unknown one a 400 naming its field. Shared by every body that refers to products
(stock writes, holds, bulk stock, aliases)."""

from django.db.models import Q

from catalog.models import Product
from vectis.errors import ValidationFailed


def unknown(what: str, value: str, field: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid {what}: {value} not found", field=field)


class ProductRefs:
    def __init__(self, account):
        self.account = account
        self._by_sku: dict[str, Product] = {}
        self._by_id: dict[str, Product] = {}
        self._prefetched = False

    def prefetch_products(self, items: list[dict]) -> None:
        """Load the products the items name in one query, for `product` to answer from
        without another (an unknown one is still its 400, in item order)."""
        skus = {item["sku"] for item in items if item.get("sku") is not None}
        ids = {item["product_id"] for item in items if item.get("sku") is None}
        for product in Product.objects.filter(account=self.account).filter(
            Q(sku__in=skus) | Q(public_id__in=ids)
        ):
            self._by_sku[product.sku] = self._by_id[product.public_id] = product
        self._prefetched = True

    def product(self, data: dict, prefix: str = "") -> Product:
        by_sku = data.get("sku") is not None
        known = self._by_sku.get(data["sku"]) if by_sku else self._by_id.get(data.get("product_id"))
        if known is None and not self._prefetched:
            lookup = {"sku": data["sku"]} if by_sku else {"public_id": data["product_id"]}
            known = Product.objects.filter(account=self.account, **lookup).first()
        if known is not None:
            return known
        if by_sku:
            raise unknown("SKU", data["sku"], f"{prefix}sku")
        raise unknown("product_id", data["product_id"], f"{prefix}product_id")
