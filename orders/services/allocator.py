"""The allocation engine: reserve stock for the open lines of one order or of many, in one
transaction of a constant number of statements, whatever the number of orders and lines.

One transaction: lock the orders with their lines (one query, orders in primary-key order),
lock every candidate stock level (one query, pk order, inventory.services.pool), plan each
order in turn in memory (what one order takes is gone for the next), then write everything
set-based: one UPDATE of the levels, one INSERT of the reservations, one UPDATE of the lines,
one INSERT each of the new packages and their lines, one UPDATE of the orders, one INSERT of
their history and one of the outbox events. An order allocated for the first time needs no
further statement; one that already holds stock has its pending packages synced one by one.

Lock order: orders (pk order) first, then stock levels (pk order), as everywhere else.
"""

import inspect
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, DateTimeField, Exists, F, IntegerField, OuterRef, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from catalog.selectors import stock_parts
from inventory import services as inventory
from inventory.services.pool import StockPool, Take
from orders import constants
from orders.exceptions import InvalidStatusTransition, OrderOnHold
from orders.lines import matching
from orders.models import Order, OrderEvent, OrderLine, Package, PackageLine
from orders.representation import order_data, package_data, packages_data
from orders.services.history import derived_status, note, status_changed, transition
from orders.services.packages import sync_pending_packages
from webhooks import services as webhooks


@dataclass
class AllocationResult:
    order: Order
    reserve: inventory.ReserveResult | None  # None: nothing was open to allocate


@dataclass
class _Job:
    order: Order
    lines: list[OrderLine]
    wanted: list[tuple[OrderLine, int, object]]
    first: bool  # nothing allocated before: no pending packages to sync
    results: list[inventory.LineResult] = field(default_factory=list)
    takes: list[tuple[int, int, int]] = field(default_factory=list)  # (wanted index, pk, qty)


def default_strategy():
    return import_string(settings.VECTIS_ALLOCATION_STRATEGY)


def _accepts_snapshot(strategy) -> bool:
    try:
        parameters = inspect.signature(strategy).parameters
    except (TypeError, ValueError):
        return False
    return "available" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def lock_orders(order_ids, *, skip_locked: bool = False) -> list[tuple[Order, list[OrderLine]]]:
    """The orders with their lines and products, the orders' rows locked (in primary-key
    order), in one query; returned in the order of `order_ids`, which is the order they are
    served in. With `skip_locked`, orders another transaction holds are left out."""
    order_ids = list(order_ids)
    pending = Package.objects.filter(order_id=OuterRef("order_id"), status=Package.PENDING)
    rows = (
        OrderLine.objects.select_related("order", "product")
        .annotate(order_has_pending_packages=Exists(pending))
        .select_for_update(of=("order",), skip_locked=skip_locked)
        .filter(order_id__in=order_ids)
        .order_by("order_id", "position")
    )
    orders: dict[int, tuple[Order, list[OrderLine]]] = {}
    for line in rows:
        order, lines = orders.setdefault(line.order_id, (line.order, []))
        order.has_pending_packages = line.order_has_pending_packages
        line.order = order  # one instance per order
        lines.append(line)
    return [orders[pk] for pk in dict.fromkeys(order_ids) if pk in orders]


def wanted_lines(
    lines: list[OrderLine], items: list[dict] | None
) -> list[tuple[OrderLine, int, object]]:
    """(line, units to reserve, pinned warehouse or None) for the open lines, or for `items`
    (by SKU; a SKU on several lines fills them in order, never beyond their open units)."""
    if items is None:
        return [(line, line.open_quantity, None) for line in lines if line.open_quantity > 0]
    taken: dict[int, int] = {}
    wanted = []
    for index, item in enumerate(items):
        matches = matching(lines, item, where=f"items[{index}]")
        remaining = item.get("quantity") or sum(line.open_quantity for line in matches)
        for line in matches:
            part = min(remaining, line.open_quantity - taken.get(line.pk, 0))
            if part > 0:
                taken[line.pk] = taken.get(line.pk, 0) + part
                wanted.append((line, part, item.get("warehouse")))
                remaining -= part
    return wanted


def refusal(order: Order) -> Exception | None:
    if order.status == constants.ON_HOLD:
        return OrderOnHold(field="status")
    if order.status not in constants.ALLOCATABLE:
        return InvalidStatusTransition(
            f"An order in status {order.status} cannot be allocated.",
            field="status",
            extra={"from_status": order.status, "to_status": constants.ALLOCATED},
        )
    return None


def allocate_locked(
    locked: list[tuple[Order, list[OrderLine]]],
    *,
    items: list[dict] | None = None,
    strategy=None,
    actor: str = "",
    refuse: bool = True,
) -> list[AllocationResult]:
    """Allocate locked orders in the given order (the caller's transaction). An order that
    cannot be allocated raises (`refuse`) or is passed over; either way its pending request
    (`allocation_due_at`) is answered."""
    now = timezone.now()
    strategy = strategy or default_strategy()
    jobs: list[_Job] = []
    answered: list[Order] = []  # orders whose allocation request this run answers
    for order, lines in locked:
        problem = refusal(order)
        if problem is not None:
            if refuse:
                raise problem
            answered.append(order)
            continue
        answered.append(order)
        wanted = wanted_lines(lines, items)
        # Nothing allocated and no pending package: packages are created, not synced.
        first = not order.has_pending_packages and all(
            line.quantity_allocated == 0 for line in lines
        )
        jobs.append(_Job(order, lines, wanted, first))
    busy = [job for job in jobs if job.wanted]
    parts = stock_parts(line.product for job in busy for line, _, _ in job.wanted)
    pool = None
    if busy:
        pool = StockPool.lock(
            account_ids={job.order.account_id for job in busy},
            product_ids={pid for plist in parts.values() for pid, _ in plist},
        )
        _plan_all(busy, pool, parts, strategy)
        if any(r.shortfall for job in busy for r in job.results) and pool.expire_lapsed(now):
            # Holds past their expiry counted as reserved: freed, plan everything again.
            pool.reset()
            _plan_all(busy, pool, parts, strategy)
        _write(busy, pool, parts, actor, now)
    return _settle(jobs, answered, actor, now)


def _plan_all(jobs: list[_Job], pool: StockPool, parts, strategy) -> None:
    snapshot = _accepts_snapshot(strategy)

    def parts_of(product):
        return parts.get(product.pk, [])

    for job in jobs:
        account_id = job.order.account_id
        free = [(line, quantity) for line, quantity, pinned in job.wanted if not pinned]
        if snapshot:
            plan = strategy(
                account_id,
                free,
                available=pool.snapshot(account_id),
                warehouses=pool.warehouses(account_id),
            )
        else:
            plan = strategy(account_id, free)
        warehouses = pool.warehouse_objects
        # Planned lines first, so that a line left to split cannot take the units the plan
        # counted on; then whatever a planned line still lacks may come from any warehouse.
        sequence = sorted(range(len(job.wanted)), key=lambda i: job.wanted[i][0].pk not in plan)
        lines = [
            inventory.ReserveLine(
                job.wanted[i][0].product,
                job.wanted[i][1],
                job.wanted[i][2] or warehouses.get(plan.get(job.wanted[i][0].pk)),
                order_line_id=job.wanted[i][0].pk,
            )
            for i in sequence
        ]
        takes, reserved = pool.plan(lines, parts_of, account_id)
        job.takes = [(sequence[n], pk, quantity) for n, pk, quantity in takes]
        got = {sequence[n]: units for n, units in enumerate(reserved)}
        fallback = [
            i
            for i in sequence
            if got[i] < job.wanted[i][1]
            and job.wanted[i][2] is None
            and job.wanted[i][0].pk in plan
        ]
        if fallback:
            more_lines = [
                inventory.ReserveLine(
                    job.wanted[i][0].product,
                    job.wanted[i][1] - got[i],
                    None,
                    order_line_id=job.wanted[i][0].pk,
                )
                for i in fallback
            ]
            more, more_reserved = pool.plan(more_lines, parts_of, account_id)
            job.takes += [(fallback[n], pk, quantity) for n, pk, quantity in more]
            for n, units in enumerate(more_reserved):
                got[fallback[n]] += units
        job.results = [
            inventory.LineResult(i, line.product, quantity, got[i], order_line_id=line.pk)
            for i, (line, quantity, _) in enumerate(job.wanted)
        ]


def _write(jobs: list[_Job], pool: StockPool, parts, actor: str, now) -> None:
    """Reservations, lines and packages of every job: a constant number of statements."""
    takes = [
        (
            job,
            i,
            Take(pk, quantity, reference=job.order.public_id, order_line_id=line_pk, actor=actor),
        )
        for job in jobs
        for i, pk, quantity in job.takes
        for line_pk in [job.wanted[i][0].pk]
    ]
    if not takes:
        return
    rows = pool.write([take for _, _, take in takes], now=now)
    added: dict[int, int] = defaultdict(int)  # line pk → units (of the line) reserved now
    for (job, i, _), row in zip(takes, rows, strict=True):
        job.results[i].reservations.append(row)
    for job in jobs:
        for result in job.results:
            if result.reserved:
                added[result.order_line_id] += result.reserved
    if added:
        OrderLine.objects.filter(pk__in=list(added)).update(
            quantity_allocated=F("quantity_allocated")
            + Case(
                *[When(pk=pk, then=Value(units)) for pk, units in added.items()],
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    for job in jobs:
        for line in job.lines:
            line.quantity_allocated += added.get(line.pk, 0)
    reserving = [job for job in jobs if any(r.reserved for r in job.results)]
    _first_packages([job for job in reserving if job.first], pool, parts)
    for job in reserving:
        if not job.first:
            created = sync_pending_packages(job.order, job.lines, emit=False)
            job.created_data = packages_data(created)


def _first_packages(jobs: list[_Job], pool: StockPool, parts) -> None:
    """An order allocated for the first time has no pending package yet: one per warehouse it
    draws from, holding the whole units of each line reserved there."""
    if not jobs:
        return
    units: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for job in jobs:
        for result in job.results:
            for reservation in result.reservations:
                key = (job.order.pk, reservation.warehouse_id, result.order_line_id)
                units[(*key, reservation.product_id)] += reservation.quantity
    packages, lines = [], []
    for job in jobs:
        job.created = []
        warehouses = sorted({w for (o, w, _, _) in units if o == job.order.pk})
        for warehouse_id in warehouses:
            package = Package(
                account_id=job.order.account_id, order=job.order, warehouse_id=warehouse_id
            )
            package.warehouse = pool.warehouse_objects[warehouse_id]
            package.pending_lines = []
            for line in job.lines:
                if line.product_id not in parts:
                    continue  # not allocated in this run (a line left out of `items`)
                whole = min(
                    units.get((job.order.pk, warehouse_id, line.pk, pid), 0) // per
                    for pid, per in parts[line.product_id]
                )
                if whole:
                    package.pending_lines.append(
                        PackageLine(
                            account_id=job.order.account_id, order_line=line, quantity=whole
                        )
                    )
            if package.pending_lines:
                packages.append(package)
                job.created.append(package)
    Package.objects.bulk_create(packages)
    for package in packages:
        for line in package.pending_lines:
            line.package = package
            lines.append(line)
        package._prefetched_objects_cache = {
            "lines": package.pending_lines,
            "tracking_events": [],
        }
    PackageLine.objects.bulk_create(lines)
    for job in jobs:
        job.created_data = [package_data(package) for package in job.created]


def _settle(jobs: list[_Job], answered: list[Order], actor: str, now) -> list[AllocationResult]:
    """Statuses, history and events of every order: one UPDATE, two INSERTs."""
    statuses: dict[int, str] = {}
    history: list[OrderEvent] = []
    events: list[tuple[int, str, dict]] = []
    results = []
    for job in jobs:
        order, lines = job.order, job.lines
        reserved_any = any(r.reservations for r in job.results)
        for data in getattr(job, "created_data", []):
            events.append((order.account_id, "package.created", data))
        target = derived_status(lines, unallocated=constants.BACKORDERED)
        if job.wanted and (target != order.status or reserved_any):
            data = {
                "allocated_units": sum(line.quantity_allocated for line in lines),
                "open_units": sum(line.open_quantity for line in lines),
            }
            kind = "allocated" if data["open_units"] == 0 else "backordered"
            if target != order.status:
                change = transition(order, target, type=kind, data=data, actor=actor)
                history.append(change)
                events.append((order.account_id, "order.status_changed", status_changed(change)))
                statuses[order.pk] = target
                order.updated_at = now
            else:  # more units reserved, the same status
                history.append(note(order, kind, data=data, actor=actor))
            order.representation = order_data(order, lines=lines)
            events.append((order.account_id, f"order.{kind}", order.representation))
        reserve = None
        if job.wanted:
            level_ids = sorted({pk for _, pk, _ in job.takes})
            reserve = inventory.ReserveResult(job.results, level_ids)
        results.append(AllocationResult(order, reserve))
    _write_orders(answered, statuses, now)
    OrderEvent.objects.bulk_create(history)
    webhooks.emit_events(events)
    return results


def _write_orders(answered: list[Order], statuses: dict[int, str], now) -> None:
    """One UPDATE: new statuses, and every answered allocation request cleared."""
    requested = [order.pk for order in answered if order.allocation_due_at is not None]
    touched = set(statuses) | set(requested)
    if not touched:
        return
    values: dict = {"allocation_due_at": None}
    if statuses:
        values["status"] = Case(
            *[When(pk=pk, then=Value(status)) for pk, status in statuses.items()],
            default=F("status"),
        )
        values["updated_at"] = Case(
            *[When(pk=pk, then=Value(now)) for pk in statuses],
            default=F("updated_at"),
            output_field=DateTimeField(),
        )
    Order.objects.filter(pk__in=touched).update(**values)
    for order in answered:
        order.allocation_due_at = None
