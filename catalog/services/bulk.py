"""Bulk upsert of products by SKU, in a number of queries that does not grow with the batch."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import usage
from catalog.models import KitComponent, Product
from catalog.representation import products_data
from catalog.services.kits import (
    KitInUse,
    ProductHasStock,
    check_components,
    nesting_error,
    store_components,
    types_of,
)
from catalog.services.products import DuplicateSku, columns
from vectis.accounts.models import Account
from vectis.errors import Conflict, ValidationFailed
from webhooks import services as webhooks


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
    types = {**types_of(account.pk, component_skus), **batch_types}
    becoming_kits = [i.existing.pk for i in kit_items if i.existing and not i.existing.is_kit]
    in_kits = set(
        KitComponent.objects.filter(component_id__in=becoming_kits).values_list(
            "component_id", flat=True
        )
    )
    stocked = usage.products_with_stock(becoming_kits) if becoming_kits else set()
    recipes = [i.existing.pk for i in kit_items if i.existing and "components" in i.data]
    unkitting = [
        i
        for i in accepted
        if i.existing and i.existing.is_kit and batch_types[i.data["sku"]] != Product.TYPE_KIT
    ]
    in_use = usage.kits_in_use(recipes + [i.existing.pk for i in unkitting])
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
                raise nesting_error()
            if item.existing and item.existing.pk in stocked:
                raise ProductHasStock(field="type")
            if item.existing and item.existing.pk in in_use:
                raise KitInUse(field="components")
            if "components" in item.data:
                check_components(item.data["components"], kit_sku=item.data["sku"], types=types)
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
            account=account, sku=i.data["sku"], created_at=now, updated_at=now, **columns(i.data)
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
        values = columns(item.data)
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
    store_components(account.pk, kits)
    no_longer_kits = [i.existing.pk for i in updates if i.data.get("type") == Product.TYPE_SIMPLE]
    KitComponent.objects.filter(kit_id__in=no_longer_kits).delete()
    return written
