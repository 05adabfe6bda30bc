"""Shipping packages: a carrier label (issued outside any transaction), then one transaction that
consumes the package's reservations, records the label and moves the order on."""

import logging

from django.conf import settings
from django.utils import timezone

from inventory.services.order_lines import LineTake, restore_shipped, take_from_lines
from orders import constants
from orders.carriers import CarrierUnavailable, adapter_for
from orders.exceptions import InvalidStatusTransition, PackageNotPending, PackageNotShipped
from orders.models import Label, Order, OrderLine, Package, PackageLine, TrackingEvent
from orders.representation import order_data, packages_data
from orders.services.history import (
    derived_status,
    lock,
    record,
    set_package_status,
    set_status,
)
from orders.services.packages import allocated_by_warehouse, parts_of, sync_pending_packages
from vectis.db_retry import atomic_with_retry
from vectis.errors import DomainError, ValidationFailed
from webhooks import services as webhooks

logger = logging.getLogger("vectis.orders")

SHIPPABLE = (constants.ALLOCATED, constants.PARTIALLY_ALLOCATED, constants.PARTIALLY_SHIPPED)


def adapter_name(carrier: str, tracking_number: str | None, field: str = "carrier") -> str:
    """The adapter for a carrier: its own, or `manual` for a carrier Vectis has no adapter for
    when the client brings the tracking number (it shipped outside Vectis)."""
    if carrier in settings.VECTIS_CARRIERS:
        if carrier == "manual" and not tracking_number:
            raise ValidationFailed(
                "The manual carrier needs the tracking_number you shipped with.",
                field="tracking_number",
                code="required",
            )
        return carrier
    if tracking_number:
        return "manual"
    raise ValidationFailed(
        f"No adapter for carrier {carrier!r} ({', '.join(sorted(settings.VECTIS_CARRIERS))}); "
        "send the tracking_number to record a shipment made outside Vectis.",
        field=field,
        code="unknown_carrier",
    )


def package_ship(
    *,
    package: Package,
    carrier: str | None = None,
    service: str | None = None,
    tracking_number: str | None = None,
    weight=None,
    weight_unit: str | None = None,
    dimensions: dict | None = None,
    actor: str = "",
) -> Package:
    """Ship one pending package: the carrier adapter issues the label (no transaction open),
    then its reservations are consumed (`shipped` movements), the label stored, the order moved
    to partially_shipped/shipped; emits package.shipped (and order.shipped when complete).
    Shipping a package that is not pending: 409 package_not_pending."""
    if package.status != Package.PENDING:
        raise PackageNotPending(
            f"Package {package.public_id} is {package.status}; it cannot ship again.",
            field="status",
        )
    name = carrier or package.carrier or settings.VECTIS_DEFAULT_CARRIER
    adapter = adapter_for(adapter_name(name, tracking_number))
    try:
        issued = adapter.create_label(package, tracking_number=tracking_number)
    except DomainError:
        raise
    except Exception as exc:  # the carrier is down or answered nonsense
        logger.exception("carrier %s failed to issue a label", name)
        raise CarrierUnavailable(f"The {name} carrier did not answer: {exc}") from exc
    changes = {"carrier": name, "service": service, "weight": weight, "weight_unit": weight_unit}
    try:
        return _ship(package.pk, changes, dimensions, issued, actor)
    except Exception:
        try:
            adapter.void_label(Label(carrier=name, tracking_number=issued.tracking_number))
        except Exception:  # the label stays issued at the carrier; log for a human
            logger.exception("could not void label %s after a failed ship", issued.tracking_number)
        raise


@atomic_with_retry
def _ship(package_pk: int, changes: dict, dimensions, issued, actor: str) -> Package:
    order = lock(Package.objects.get(pk=package_pk).order)
    package = Package.objects.select_for_update().get(pk=package_pk)
    if package.status != Package.PENDING:
        raise PackageNotPending(
            f"Package {package.public_id} is {package.status}; it cannot ship again.",
            field="status",
        )
    if order.status not in SHIPPABLE:
        raise InvalidStatusTransition(
            f"An order in status {order.status} cannot ship.",
            field="status",
            extra={"from_status": order.status, "to_status": constants.SHIPPED},
        )
    now = timezone.now()
    for name, value in changes.items():
        if value is not None:
            setattr(package, name, value)
    for key, column in (("length", "length"), ("width", "width"), ("height", "height")):
        if dimensions and key in dimensions:
            setattr(package, column, dimensions[key])
    if dimensions and "unit" in dimensions:
        package.dimension_unit = dimensions["unit"]
    set_package_status(package, Package.SHIPPED)
    package.shipped_at = now
    package.tracking_number = issued.tracking_number
    package.save()
    Label.objects.create(
        account_id=order.account_id,
        package=package,
        carrier=package.carrier,
        service=package.service,
        tracking_number=issued.tracking_number,
        document=issued.document,
        content_type=issued.content_type,
        rendered=issued.renders_locally,
    )
    lines = list(order.lines.select_related("product").order_by("position"))
    _consume(order, lines, [package], actor)
    return package


def _consume(order: Order, lines: list[OrderLine], packages: list[Package], actor: str) -> None:
    """Consume the packages' units from their warehouses' reservations and move the order on."""
    by_pk = {line.pk: line for line in lines}
    takes = []
    for package in packages:
        for pl in PackageLine.objects.filter(package=package):
            line = by_pk[pl.order_line_id]
            units = {pid: pl.quantity * per for pid, per in parts_of(line)}
            takes.append(LineTake(line.pk, units, package.warehouse_id, package.public_id))
            line.quantity_allocated -= pl.quantity
            line.quantity_shipped += pl.quantity
    take_from_lines(account_id=order.account_id, takes=takes, ship=True, actor=actor)
    OrderLine.objects.bulk_update(lines, ["quantity_allocated", "quantity_shipped"])
    sync_pending_packages(order, lines)
    webhooks.emit_many(
        order.account_id, [("package.shipped", data) for data in packages_data(packages)]
    )
    target = derived_status(lines, unallocated=constants.PENDING)
    data = {"packages": [p.public_id for p in packages]}
    kind = "shipped" if target == constants.SHIPPED else "partially_shipped"
    if target != order.status:
        set_status(order, target, type=kind, data=data, actor=actor)
    else:
        record(order, kind, data=data, actor=actor)
    if target == constants.SHIPPED:
        webhooks.emit(order.account_id, "order.shipped", order_data(order))


# --- ship a whole order --------------------------------------------------------------------------
def order_ship(
    *, order: Order, packages: list[dict] | None = None, actor: str = ""
) -> list[Package]:
    """Ship allocated units: with no `packages`, every pending package as it stands; otherwise
    the packages described (warehouse, lines of line_id/sku + quantity, carrier, service,
    tracking_number), carved out of the pending ones first. Each package then ships through
    `package_ship` (its own label and transaction)."""
    specs = _prepare(order, packages)
    shipped = []
    for package, spec in specs:
        shipped.append(
            package_ship(
                package=package,
                carrier=spec.get("carrier") or None,
                service=spec.get("service"),
                tracking_number=spec.get("tracking_number") or None,
                actor=actor,
            )
        )
    return shipped


@atomic_with_retry
def _prepare(order: Order, packages: list[dict] | None) -> list[tuple[Package, dict]]:
    locked = lock(order)
    if locked.status not in SHIPPABLE:
        raise InvalidStatusTransition(
            f"An order in status {locked.status} cannot be shipped (nothing is allocated).",
            field="status",
            extra={"from_status": locked.status, "to_status": constants.SHIPPED},
        )
    lines = list(locked.lines.select_related("product").order_by("position"))
    sync_pending_packages(locked, lines)
    pending = list(Package.objects.filter(order=locked, status=Package.PENDING).order_by("id"))
    specs = [(p, {}) for p in pending] if packages is None else _carve(locked, lines, packages)
    if not specs:
        raise InvalidStatusTransition(
            "Nothing is allocated to ship.",
            field="status",
            extra={"from_status": locked.status, "to_status": constants.SHIPPED},
        )
    for index, (package, spec) in enumerate(specs):
        # refuse up front what the carrier step would refuse, before any package ships
        carrier = spec.get("carrier") or package.carrier or settings.VECTIS_DEFAULT_CARRIER
        adapter_name(carrier, spec.get("tracking_number"), field=f"packages[{index}].carrier")
    return specs


def _carve(order: Order, lines: list[OrderLine], packages: list[dict]):
    """New pending packages holding the described units, taken out of the pending ones."""
    from orders.services.lifecycle import _spread  # one rule for line references

    available = allocated_by_warehouse(order, lines)
    left = {w: dict(q) for w, q in available.items()}
    specs = []
    for p_index, spec in enumerate(packages):
        warehouse = _warehouse(order, spec["warehouse_id"], p_index)
        here = left.setdefault(warehouse.pk, {})
        quantities: dict[int, int] = {}
        for l_index, item in enumerate(spec["lines"]):
            where = f"packages[{p_index}].lines[{l_index}]"
            for line, part in _spread(lines, item, lambda ln, h=here: h.get(ln.pk, 0), where):
                here[line.pk] -= part
                quantities[line.pk] = quantities.get(line.pk, 0) + part
        package = Package.objects.create(
            account_id=order.account_id,
            order=order,
            warehouse=warehouse,
            carrier=spec.get("carrier", ""),
            service=spec.get("service", ""),
        )
        PackageLine.objects.bulk_create(
            [
                PackageLine(
                    account_id=order.account_id, package=package, order_line_id=pk, quantity=q
                )
                for pk, q in quantities.items()
            ]
        )
        specs.append((package, spec))
    # the carved units leave the other pending packages
    _shrink_pending(order, [p for p, _ in specs])
    webhooks.emit_many(
        order.account_id,
        [("package.created", data) for data in packages_data([p for p, _ in specs])],
    )
    return specs


def _warehouse(order: Order, public_id: str, index: int):
    from warehouses.models import Warehouse

    warehouse = Warehouse.objects.filter(account_id=order.account_id, public_id=public_id).first()
    if warehouse is None:
        raise ValidationFailed(
            f"Invalid warehouse_id: {public_id} not found", field=f"packages[{index}].warehouse_id"
        )
    return warehouse


def _shrink_pending(order: Order, carved: list[Package]) -> None:
    from orders.services.packages import _shrink, cancel_emptied

    carved_ids = {p.pk for p in carved}
    others = [
        p
        for p in Package.objects.filter(order=order, status=Package.PENDING).order_by("id")
        if p.pk not in carved_ids
    ]
    for package in carved:
        for pl in PackageLine.objects.filter(package=package):
            in_warehouse = [p for p in others if p.warehouse_id == package.warehouse_id]
            _shrink(in_warehouse, pl.order_line_id, pl.quantity)
    cancel_emptied(others)


# --- void ----------------------------------------------------------------------------------------
def package_void(*, package: Package, actor: str = "") -> Package:
    """Void a shipped package's label before pickup: the carrier is told (outside any
    transaction), the units go back on hand and reserved for the order (`ship_voided`
    movements), the package returns to pending and can ship again."""
    if package.status != Package.SHIPPED:
        raise PackageNotShipped(
            f"Package {package.public_id} is {package.status}; only a shipped package that "
            "has not been picked up can be voided.",
            field="status",
        )
    # The database first (under the locks, rechecked), then the carrier: a carrier that fails
    # to void leaves an unused label behind, never a parcel without a valid label.
    package, label = _void(package.pk, actor)
    if label is not None:
        try:
            adapter_for(adapter_name(label.carrier, label.tracking_number)).void_label(label)
        except Exception:
            logger.exception("carrier did not void label %s; void it by hand", label.pk)
    return package


@atomic_with_retry
def _void(package_pk: int, actor: str) -> tuple[Package, Label | None]:
    order = lock(Package.objects.get(pk=package_pk).order)
    package = Package.objects.select_for_update().get(pk=package_pk)
    if package.status != Package.SHIPPED:
        raise PackageNotShipped(field="status")
    now = timezone.now()
    label = package.labels.filter(voided_at__isnull=True).order_by("-id").first()
    package.labels.filter(voided_at__isnull=True).update(voided_at=now)
    restore_shipped(account_id=order.account_id, reference=package.public_id, actor=actor)
    lines = list(order.lines.select_related("product").order_by("position"))
    by_pk = {line.pk: line for line in lines}
    for pl in PackageLine.objects.filter(package=package):
        line = by_pk[pl.order_line_id]
        line.quantity_shipped -= pl.quantity
        line.quantity_allocated += pl.quantity
    OrderLine.objects.bulk_update(lines, ["quantity_allocated", "quantity_shipped"])
    set_package_status(package, Package.PENDING)
    package.shipped_at, package.tracking_number = None, ""
    package.save(update_fields=["status", "shipped_at", "tracking_number", "updated_at"])
    webhooks.emit_many(
        package.account_id, [("package.voided", d) for d in packages_data([package])]
    )
    target = derived_status(lines, unallocated=constants.PENDING)
    data = {"package": package.public_id}
    if target != order.status:
        set_status(order, target, type="package_voided", data=data, actor=actor)
    else:
        record(order, "package_voided", data=data, actor=actor)
    return package, label


# --- tracking ------------------------------------------------------------------------------------
@atomic_with_retry
def package_track(
    *,
    package: Package,
    status: str,
    occurred_at,
    location: str = "",
    description: str = "",
    actor: str = "",
) -> TrackingEvent:
    """Append a carrier scan. in_transit/out_for_delivery move a shipped package in transit;
    delivered delivers it (package.delivered) and, once every package of the order is
    delivered, the order (order.delivered)."""
    order = lock(package.order)
    locked = Package.objects.select_for_update().get(pk=package.pk)
    if locked.status not in (Package.SHIPPED, Package.IN_TRANSIT, Package.DELIVERED):
        raise PackageNotShipped(
            f"Package {locked.public_id} is {locked.status}; track it once it ships.",
            field="status",
        )
    event = TrackingEvent.objects.create(
        account_id=locked.account_id,
        package=locked,
        status=status,
        occurred_at=occurred_at,
        location=location,
        description=description,
    )
    if status in ("in_transit", "out_for_delivery", "exception"):
        if status != "exception" and locked.status == Package.SHIPPED:
            set_package_status(locked, Package.IN_TRANSIT)
            locked.save(update_fields=["status", "updated_at"])
        webhooks.emit_many(
            locked.account_id, [(f"package.{status}", d) for d in packages_data([locked])]
        )
    elif status == "delivered" and locked.status != Package.DELIVERED:
        set_package_status(locked, Package.DELIVERED)
        locked.delivered_at = occurred_at
        locked.save(update_fields=["status", "delivered_at", "updated_at"])
        webhooks.emit_many(
            locked.account_id, [("package.delivered", d) for d in packages_data([locked])]
        )
        deliver_if_complete(order, actor=actor)
    return event


def deliver_if_complete(order: Order, *, actor: str = "") -> bool:
    """A shipped order whose packages are all delivered is delivered (order.delivered)."""
    if order.status != constants.SHIPPED:
        return False
    if order.packages.exclude(status__in=(Package.DELIVERED, Package.CANCELLED)).exists():
        return False
    if not order.packages.filter(status=Package.DELIVERED).exists():
        return False
    set_status(order, constants.DELIVERED, type="delivered", actor=actor)
    webhooks.emit(order.account_id, "order.delivered", order_data(order))
    return True
