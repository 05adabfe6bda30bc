"""Products and channel SKU aliases, one at a time."""

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from catalog import usage
from catalog.models import KitComponent, Product, SkuAlias
from catalog.representation import product_data
from catalog.services.kits import (
    KitInUse,
    ProductHasStock,
    check_components,
    nesting_error,
    store_components,
    types_of,
)
from vectis.accounts.models import Account
from vectis.errors import DuplicateError
from webhooks import services as webhooks

# Fields a client sets directly (dimensions arrive nested and are flattened below).
PRODUCT_FIELDS = (
    "type",
    "name",
    "description",
    "barcode",
    "hs_code",
    "country_of_origin",
    "weight",
    "weight_unit",
    "cost",
    "price",
    "currency",
    "tracking",
    "low_stock_threshold",
    "active",
    "metadata",
)
DIMENSION_COLUMNS = {
    "length": "length",
    "width": "width",
    "height": "height",
    "unit": "dimension_unit",
}


class DuplicateSku(DuplicateError):
    code = "duplicate_sku"
    default_message = "A product with this SKU already exists."


class DuplicateAlias(DuplicateError):
    code = "duplicate_alias"
    default_message = "This channel already maps this alias to a product."


def columns(data: dict) -> dict:
    values = {k: data[k] for k in PRODUCT_FIELDS if k in data}
    for key, column in DIMENSION_COLUMNS.items():
        if key in data.get("dimensions", {}):
            values[column] = data["dimensions"][key]
    return values


def product_create(*, account: Account, data: dict) -> Product:
    """Create a product (and a kit's components); emits product.created."""
    is_kit = data.get("type") == Product.TYPE_KIT
    with transaction.atomic():
        if is_kit:
            components = data["components"]
            types = types_of(account.pk, (c["sku"] for c in components))
            check_components(components, kit_sku=data["sku"], types=types)
        try:
            with transaction.atomic():
                product = Product.objects.create(account=account, sku=data["sku"], **columns(data))
        except IntegrityError as exc:
            raise DuplicateSku(
                f"A product with SKU {data['sku']} already exists.", field="sku"
            ) from exc
        if is_kit:
            store_components(account.pk, [(product, data["components"])])
        webhooks.emit(account, "product.created", product_data(product))
    return product


def product_update(*, product: Product, data: dict) -> Product:
    """Change fields (never the SKU); a kit's `components` list replaces the old one."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        new_type = data.get("type", locked.type)
        if new_type == Product.TYPE_KIT and not locked.is_kit:
            if locked.part_of.exists():
                raise nesting_error()
            if usage.products_with_stock([locked.pk]):
                raise ProductHasStock(field="type")
        if new_type == Product.TYPE_KIT and "components" in data:
            components = data["components"]
            if locked.is_kit and usage.kits_in_use([locked.pk]):
                raise KitInUse(field="components")
            types = types_of(locked.account_id, (c["sku"] for c in components))
            check_components(components, kit_sku=locked.sku, types=types)
            store_components(locked.account_id, [(locked, components)])
        elif new_type == Product.TYPE_SIMPLE and locked.is_kit:
            if usage.kits_in_use([locked.pk]):
                raise KitInUse(field="type")
            KitComponent.objects.filter(kit=locked).delete()
        values = columns(data)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        webhooks.emit(locked.account_id, "product.updated", product_data(locked))
    return locked


def product_delete(*, product: Product) -> Product | None:
    """Delete an unreferenced product (None); archive one that stock, order lines or a kit
    still refer to (the archived product). Emits product.deleted or product.archived."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        data = product_data(locked)
        try:
            with transaction.atomic():
                locked.delete()
        except (ProtectedError, RestrictedError):
            pass
        else:
            webhooks.emit(product.account_id, "product.deleted", data)
            return None
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active", "updated_at"])
        webhooks.emit(locked.account_id, "product.archived", product_data(locked))
    return locked


# --- aliases ----------------------------------------------------------------------------------
def alias_create(*, product: Product, channel: str, alias: str) -> SkuAlias:
    """Map a channel's SKU to `product`; unique per account and channel."""
    try:
        with transaction.atomic():
            return SkuAlias.objects.create(
                account_id=product.account_id, product=product, channel=channel, alias=alias
            )
    except IntegrityError as exc:
        raise DuplicateAlias(
            f"Channel {channel!r} already maps {alias!r} to a product.", field="alias"
        ) from exc


def alias_delete(*, alias: SkuAlias) -> None:
    alias.delete()
