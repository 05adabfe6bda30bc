"""Pending packages mirror what is allocated: one per warehouse the order draws from (more after a
split). Every service that changes an order's allocation calls `sync_pending_packages` while it
holds the order's row lock."""

from collections import defaultdict

from django.db.models import Sum

from catalog.selectors import stock_parts
from inventory.models import Reservation
from orders.exceptions import PackageNotPending
from orders.lines import matching
from orders.models import Order, OrderLine, Package, PackageLine
from orders.services.history import set_package_status
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict
from webhooks import services as webhooks


def parts_of(line: OrderLine) -> list[tuple[int, int]]:
    """(stocked product id, units per unit of the line): a kit line is its components."""
    return stock_parts([line.product])[line.product_id]


def allocated_by_warehouse(order: Order, lines: list[OrderLine]) -> dict[int, dict[int, int]]:
    """warehouse id → {line pk: whole units of the line reserved there}."""
    rows = (
        Reservation.objects.filter(order_line__order=order, status=Reservation.ACTIVE)
        .values("warehouse_id", "order_line_id", "product_id")
        .annotate(units=Sum("quantity"))
    )
    held = {(r["warehouse_id"], r["order_line_id"], r["product_id"]): r["units"] for r in rows}
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for warehouse_id in sorted({w for w, _, _ in held}):
        for line in lines:
            units = min(
                held.get((warehouse_id, line.pk, pid), 0) // per for pid, per in parts_of(line)
            )
            if units:
                result[warehouse_id][line.pk] = units
    return result


def sync_pending_packages(
    order: Order, lines: list[OrderLine], *, emit: bool = True
) -> list[Package]:
    """Make the pending packages hold exactly what is allocated per warehouse and line: grow the
    first pending package of a warehouse (creating one, `package.created`), shrink the last
    ones; a pending package left empty is cancelled. Returns the packages created."""
    allocated = allocated_by_warehouse(order, lines)
    pending = list(
        Package.objects.filter(order=order, status=Package.PENDING)
        .prefetch_related("lines")
        .order_by("id")
    )
    by_warehouse: dict[int, list[Package]] = defaultdict(list)
    for package in pending:
        by_warehouse[package.warehouse_id].append(package)
    created = []
    for warehouse_id in sorted(set(allocated) | set(by_warehouse)):
        packages = by_warehouse.get(warehouse_id, [])
        held: dict[int, int] = defaultdict(int)
        for package in packages:
            for pl in package.lines.all():
                held[pl.order_line_id] += pl.quantity
        want = allocated.get(warehouse_id, {})
        for line_pk in sorted(set(want) | set(held)):
            diff = want.get(line_pk, 0) - held.get(line_pk, 0)
            if diff > 0:
                if not packages:
                    packages.append(
                        Package.objects.create(
                            account_id=order.account_id, order=order, warehouse_id=warehouse_id
                        )
                    )
                    created.append(packages[0])
                _grow(packages[0], line_pk, diff)
            elif diff < 0:
                _shrink(packages, line_pk, -diff)
        cancel_emptied(packages)
    if created and emit:
        from orders.representation import packages_data

        webhooks.emit_many(
            order.account_id, [("package.created", data) for data in packages_data(created)]
        )
    return created


def cancel_emptied(packages: list[Package]) -> list[Package]:
    """Cancel the pending packages left without lines (package.cancelled)."""
    from orders.representation import packages_data

    emptied = [p for p in packages if not PackageLine.objects.filter(package=p).exists()]
    for package in emptied:
        set_package_status(package, Package.CANCELLED)
        package.save(update_fields=["status", "updated_at"])
    if emptied:
        webhooks.emit_many(
            emptied[0].account_id,
            [("package.cancelled", data) for data in packages_data(emptied)],
        )
    return emptied


def _grow(package: Package, line_pk: int, units: int) -> None:
    row = PackageLine.objects.filter(package=package, order_line_id=line_pk).first()
    if row is None:
        PackageLine.objects.create(
            account_id=package.account_id, package=package, order_line_id=line_pk, quantity=units
        )
    else:
        row.quantity += units
        row.save(update_fields=["quantity"])


def _shrink(packages: list[Package], line_pk: int, units: int) -> None:
    for package in reversed(packages):
        if units == 0:
            return
        row = PackageLine.objects.filter(package=package, order_line_id=line_pk).first()
        if row is None:
            continue
        part = min(units, row.quantity)
        units -= part
        if part == row.quantity:
            row.delete()
        else:
            row.quantity -= part
            row.save(update_fields=["quantity"])


# --- pending package edits ---------------------------------------------------------------------
PACKAGE_FIELDS = ("carrier", "service", "weight", "weight_unit")
DIMENSION_FIELDS = {
    "length": "length",
    "width": "width",
    "height": "height",
    "unit": "dimension_unit",
}


def _locked_pending(package: Package) -> Package:
    from orders.services.history import lock

    lock(package.order)  # the order row first, as everywhere
    locked = Package.objects.select_for_update().get(pk=package.pk)
    if locked.status != Package.PENDING:
        raise PackageNotPending(
            f"Package {locked.public_id} is {locked.status}; only pending packages change.",
            field="status",
        )
    return locked


@atomic_with_retry
def package_update(*, package: Package, data: dict) -> Package:
    """Set weight, dimensions, carrier and service of a pending package."""
    locked = _locked_pending(package)
    for name in PACKAGE_FIELDS:
        if name in data:
            setattr(locked, name, data[name])
    for key, column in DIMENSION_FIELDS.items():
        if key in data.get("dimensions", {}):
            setattr(locked, column, data["dimensions"][key])
    locked.save()
    return locked


@atomic_with_retry
def package_split(*, package: Package, lines: list[dict]) -> Package:
    """Move `lines` (line_id or sku, quantity) of a pending package into a new pending package
    of the same warehouse; at least one unit must stay behind. Emits package.created."""
    locked = _locked_pending(package)
    rows = list(locked.lines.select_related("order_line__product"))
    moving: dict[int, int] = defaultdict(int)
    for index, item in enumerate(lines):
        where = f"lines[{index}]"
        matches = matching(rows, item, where=where, line=lambda r: r.order_line, owner="package")
        remaining = item["quantity"]
        for row in matches:
            part = min(remaining, row.quantity - moving[row.pk])
            moving[row.pk] += part
            remaining -= part
        # what the package holds now decides these two: conflicts with its state
        if remaining:
            raise Conflict(
                "The package holds fewer units than that.",
                field=f"{where}.quantity",
                code="quantity_unavailable",
            )
    if sum(moving.values()) >= sum(r.quantity for r in rows):
        raise Conflict(
            "A split must leave at least one unit in the package.",
            field="lines",
            code="split_leaves_nothing",
        )
    new = Package.objects.create(
        account_id=locked.account_id, order=locked.order, warehouse_id=locked.warehouse_id
    )
    for row in rows:
        units = moving.get(row.pk, 0)
        if not units:
            continue
        PackageLine.objects.create(
            account_id=locked.account_id, package=new, order_line=row.order_line, quantity=units
        )
        if units == row.quantity:
            row.delete()
        else:
            row.quantity -= units
            row.save(update_fields=["quantity"])
    from orders.representation import packages_data

    webhooks.emit_many(locked.account_id, [("package.created", d) for d in packages_data([new])])
    return new
