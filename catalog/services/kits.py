"""Kits: the rules a recipe (its components) must keep, and storing it."""

from collections.abc import Iterable

from catalog.models import KitComponent, Product
from vectis.errors import Conflict, ValidationFailed


def check_components(components: list[dict], *, kit_sku: str, types: dict[str, str]) -> None:
    """Known SKUs, listed once, not kits themselves, not the kit itself (`types`: sku → type)."""
    seen: set[str] = set()
    for index, component in enumerate(components):
        sku, where = component["sku"], f"components[{index}].sku"
        if sku == kit_sku:
            raise ValidationFailed("A kit cannot contain itself.", field=where, code="kit_cycle")
        if sku in seen:
            raise ValidationFailed(
                f"Component {sku} is listed twice.", field=where, code="duplicate_component"
            )
        seen.add(sku)
        if sku not in types:
            raise ValidationFailed(f"Invalid SKU: {sku} not found", field=where, code="unknown_sku")
        if types[sku] == Product.TYPE_KIT:
            # another product's state, not the body's shape: a conflict
            raise Conflict(
                f"{sku} is a kit; kits cannot contain kits.", field=where, code="kit_nesting"
            )


def types_of(account_id: int, skus: Iterable[str]) -> dict[str, str]:
    return dict(
        Product.objects.filter(account_id=account_id, sku__in=set(skus)).values_list("sku", "type")
    )


def store_components(account_id: int, kits: list[tuple[Product, list[dict]]]) -> None:
    """Replace the components of each kit (one delete, one select, one insert)."""
    if not kits:
        return
    skus = {c["sku"] for _, components in kits for c in components}
    by_sku = {p.sku: p for p in Product.objects.filter(account_id=account_id, sku__in=skus)}
    KitComponent.objects.filter(kit__in=[kit for kit, _ in kits]).delete()
    KitComponent.objects.bulk_create(
        [
            KitComponent(
                account_id=account_id, kit=kit, component=by_sku[c["sku"]], quantity=c["quantity"]
            )
            for kit, components in kits
            for c in components
        ]
    )


class ProductHasStock(Conflict):
    code = "product_has_stock"
    default_message = (
        "A product with stock or stock history cannot become a kit; archive it and create the "
        "kit under a new SKU."
    )


class KitInUse(Conflict):
    code = "kit_in_use"
    default_message = (
        "Orders hold this kit's components reserved; its components cannot change until they "
        "ship or are released. Create the new recipe under a new SKU."
    )


def nesting_error() -> Conflict:
    return Conflict(
        "This product is a component of a kit, and kits cannot be nested.",
        field="type",
        code="kit_nesting",
    )
