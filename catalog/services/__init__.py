"""Catalog writes: products and aliases (`products`), kits (`kits`) and bulk upsert (`bulk`).

Callers import `catalog.services`, not its modules.
"""

from catalog.services.aliases import AliasOutcome, AliasRow, aliases_bulk_upsert
from catalog.services.bulk import BulkItem, BulkOutcome, BulkRejected, products_bulk_upsert
from catalog.services.kits import KitInUse, ProductHasStock
from catalog.services.products import (
    PRODUCT_FIELDS,
    DuplicateAlias,
    DuplicateSku,
    alias_create,
    alias_delete,
    product_create,
    product_delete,
    product_update,
)

__all__ = [
    "PRODUCT_FIELDS",
    "AliasOutcome",
    "AliasRow",
    "BulkItem",
    "BulkOutcome",
    "BulkRejected",
    "DuplicateAlias",
    "DuplicateSku",
    "KitInUse",
    "ProductHasStock",
    "alias_create",
    "alias_delete",
    "aliases_bulk_upsert",
    "product_create",
    "product_delete",
    "product_update",
    "products_bulk_upsert",
]
