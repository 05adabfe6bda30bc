"""Catalog writes: products, kits, channel SKU aliases and bulk upsert."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from catalog import usage
from catalog.models import KitComponent, Product, SkuAlias
from catalog.representation import product_data, products_data
from vectis.accounts.models import Account
from vectis.errors import Conflict, DuplicateError, ValidationFailed
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


def _columns(data: dict) -> dict:
    values = {k: data[k] for k in PRODUCT_FIELDS if k in data}
    for key, column in DIMENSION_COLUMNS.items():
        if key in data.get("dimensions", {}):
            values[column] = data["dimensions"][key]
    return values


# --- kits -------------------------------------------------------------------------------------
def _check_components(components: list[dict], *, kit_sku: str, types: dict[str, str]) -> None:
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


def _types_of(account_id: int, skus: Iterable[str]) -> dict[str, str]:
    return dict(
        Product.objects.filter(account_id=account_id, sku__in=set(skus)).values_list("sku", "type")
    )


def _store_components(account_id: int, kits: list[tuple[Product, list[dict]]]) -> None:
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


def _kits_in_use(kit_ids: list[int]) -> set[int]:
    return usage.kits_in_use(kit_ids)


def _with_stock(product_ids: list[int]) -> set[int]:
    return usage.products_with_stock(product_ids)


def _nesting_error() -> Conflict:
    return Conflict(
        "This product is a component of a kit, and kits cannot be nested.",
        field="type",
        code="kit_nesting",
    )


# --- products ---------------------------------------------------------------------------------
def product_create(*, account: Account, data: dict) -> Product:
    """Create a product (and a kit's components); emits product.created."""
    is_kit = data.get("type") == Product.TYPE_KIT
    with transaction.atomic():
        if is_kit:
            components = data["components"]
            types = _types_of(account.pk, (c["sku"] for c in components))
            _check_components(components, kit_sku=data["sku"], types=types)
        try:
            with transaction.atomic():
                product = Product.objects.create(account=account, sku=data["sku"], **_columns(data))
        except IntegrityError as exc:
            raise DuplicateSku(
                f"A product with SKU {data['sku']} already exists.", field="sku"
            ) from exc
        if is_kit:
            _store_components(account.pk, [(product, data["components"])])
        webhooks.emit(account, "product.created", product_data(product))
    return product


def product_update(*, product: Product, data: dict) -> Product:
    """Change fields (never the SKU); a kit's `components` list replaces the old one."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        new_type = data.get("type", locked.type)
        if new_type == Product.TYPE_KIT and not locked.is_kit:
            if locked.part_of.exists():
                raise _nesting_error()
            if _with_stock([locked.pk]):
                raise ProductHasStock(field="type")
        if new_type == Product.TYPE_KIT and "components" in data:
            components = data["components"]
            if locked.is_kit and _kits_in_use([locked.pk]):
                raise KitInUse(field="components")
            types = _types_of(locked.account_id, (c["sku"] for c in components))
            _check_components(components, kit_sku=locked.sku, types=types)
            _store_components(locked.account_id, [(locked, components)])
        elif new_type == Product.TYPE_SIMPLE and locked.is_kit:
            if _kits_in_use([locked.pk]):
                raise KitInUse(field="type")
            KitComponent.objects.filter(kit=locked).delete()
        values = _columns(data)
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


# --- bulk upsert ------------------------------------------------------------------------------
@dataclass
class BulkItem:
    index: int
    data: dict  # validated; includes "sku"
    existing: Product | None = None


@dataclass
class BulkOutcome:
    index: int
    sku: str | None
    status: str  # created | updated | error
    product: Product | None = None
    error: dict | None = field(default=None)

    @classmethod
    def failed(cls, index: int, sku: str | None, exc: ValidationFailed) -> "BulkOutcome":
        return cls(
            index,
            sku,
            "error",
            error={"code": exc.code, "message": exc.message, "field": exc.field},
        )


class BulkRejected(ValidationFailed):
    """`atomic=true` and at least one item failed: nothing was written."""

    default_message = "At least one product is invalid; nothing was written."


def products_bulk_upsert(
    *, account: Account, items: Iterable[BulkItem], failed: list[BulkOutcome], atomic: bool
) -> list[BulkOutcome]:
    """Insert or update products by SKU in one transaction, with a number of queries that does
    not grow with the batch. Items already refused by validation come in `failed`; with
    `atomic`, any failure writes nothing (BulkRejected)."""
    outcomes = list(failed)
    accepted = _check_batch(account, list(items), outcomes)
    if atomic and outcomes:
        raise _rejected(outcomes)
    with transaction.atomic():
        written = _write_batch(account, accepted)
        payloads = products_data([o.product for o in written])
        webhooks.emit_many(
            account,
            [(f"product.{o.status}", data) for o, data in zip(written, payloads, strict=True)],
        )
    outcomes += written
    outcomes.sort(key=lambda o: o.index)
    return outcomes


def _effective_type(item: BulkItem) -> str:
    current = item.existing.type if item.existing else Product.TYPE_SIMPLE
    return item.data.get("type", current)


def _check_batch(
    account: Account, items: list[BulkItem], outcomes: list[BulkOutcome]
) -> list[BulkItem]:
    """Refuse repeated SKUs and bad kits up front, so that only good items are written."""
    accepted, seen = [], set()
    for item in items:
        sku = item.data["sku"]
        if sku in seen:
            error = ValidationFailed(
                "SKU repeated in this batch.", field="sku", code="duplicate_sku"
            )
            outcomes.append(BulkOutcome.failed(item.index, sku, error))
        else:
            seen.add(sku)
            accepted.append(item)

    batch_types = {i.data["sku"]: _effective_type(i) for i in accepted}
    for item in list(accepted):
        if batch_types[item.data["sku"]] != Product.TYPE_KIT and item.data.get("components"):
            error = ValidationFailed(
                "Only products of type 'kit' have components.", field="components", code="invalid"
            )
            outcomes.append(BulkOutcome.failed(item.index, item.data["sku"], error))
            accepted.remove(item)
    kit_items = [i for i in accepted if batch_types[i.data["sku"]] == Product.TYPE_KIT]
    component_skus = {c["sku"] for i in kit_items for c in i.data.get("components", [])}
    types = {**_types_of(account.pk, component_skus), **batch_types}
    becoming_kits = [i.existing.pk for i in kit_items if i.existing and not i.existing.is_kit]
    in_kits = set(
        KitComponent.objects.filter(component_id__in=becoming_kits).values_list(
            "component_id", flat=True
        )
    )
    stocked = _with_stock(becoming_kits) if becoming_kits else set()
    recipes = [i.existing.pk for i in kit_items if i.existing and "components" in i.data]
    unkitting = [
        i
        for i in accepted
        if i.existing and i.existing.is_kit and batch_types[i.data["sku"]] != Product.TYPE_KIT
    ]
    in_use = _kits_in_use(recipes + [i.existing.pk for i in unkitting])
    for item in unkitting:
        if item.existing.pk in in_use:
            outcomes.append(
                BulkOutcome.failed(item.index, item.data["sku"], KitInUse(field="type"))
            )
            accepted.remove(item)
    refused = set()
    for item in kit_items:
        try:
            if item.existing and item.existing.pk in in_kits:
                raise _nesting_error()
            if item.existing and item.existing.pk in stocked:
                raise ProductHasStock(field="type")
            if item.existing and item.existing.pk in in_use:
                raise KitInUse(field="components")
            if "components" in item.data:
                _check_components(item.data["components"], kit_sku=item.data["sku"], types=types)
            elif not (item.existing and item.existing.is_kit):
                raise ValidationFailed(
                    "A kit needs at least one component.", field="components", code="required"
                )
        except (ValidationFailed, Conflict) as exc:  # this item's, reported in its result
            outcomes.append(BulkOutcome.failed(item.index, item.data["sku"], exc))
            refused.add(item.index)
    return [i for i in accepted if i.index not in refused]


def _rejected(outcomes: list[BulkOutcome]) -> BulkRejected:
    details = [
        {
            "field": f"products[{o.index}]" + (f".{o.error['field']}" if o.error["field"] else ""),
            "code": o.error["code"],
            "message": o.error["message"],
        }
        for o in sorted(outcomes, key=lambda o: o.index)
    ]
    first = details[0]
    return BulkRejected(first["message"], field=first["field"], details=details)


def _write_batch(account: Account, items: list[BulkItem]) -> list[BulkOutcome]:
    now = timezone.now()
    creates = [i for i in items if i.existing is None]
    updates = [i for i in items if i.existing is not None]

    new_products = [
        Product(
            account=account, sku=i.data["sku"], created_at=now, updated_at=now, **_columns(i.data)
        )
        for i in creates
    ]
    try:
        with transaction.atomic():
            Product.objects.bulk_create(new_products, batch_size=500)
    except IntegrityError as exc:
        raise DuplicateSku(
            "A product of this batch was created by a concurrent request; send the batch again.",
            field="sku",
        ) from exc
    if new_products and new_products[0].pk is None:
        by_sku = {
            p.sku: p
            for p in Product.objects.filter(account=account, sku__in=[p.sku for p in new_products])
        }
        new_products = [by_sku[p.sku] for p in new_products]

    touched: set[str] = set()
    for item in updates:
        values = _columns(item.data)
        touched.update(values)
        for name, value in values.items():
            setattr(item.existing, name, value)
        item.existing.updated_at = now
    if updates:
        Product.objects.bulk_update(
            [i.existing for i in updates], fields=sorted(touched | {"updated_at"}), batch_size=500
        )

    written = [
        BulkOutcome(i.index, i.data["sku"], "created", product=p)
        for i, p in zip(creates, new_products, strict=True)
    ] + [BulkOutcome(i.index, i.data["sku"], "updated", product=i.existing) for i in updates]
    by_index = {i.index: i for i in items}
    kits = [
        (o.product, by_index[o.index].data["components"])
        for o in written
        if o.product.type == Product.TYPE_KIT and "components" in by_index[o.index].data
    ]
    _store_components(account.pk, kits)
    no_longer_kits = [i.existing.pk for i in updates if i.data.get("type") == Product.TYPE_SIMPLE]
    KitComponent.objects.filter(kit_id__in=no_longer_kits).delete()
    return written
