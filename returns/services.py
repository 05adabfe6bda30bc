"""Returns: request, authorize, receive into stock (or quarantine, or scrap), close.

Lock order: the order row, then the return row, then (inside inventory.services) stock levels.
"""

import secrets
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from catalog.models import Product
from catalog.selectors import stock_parts
from inventory import services as inventory
from orders import services as orders
from orders.carriers import adapter_for
from orders.lines import matching
from orders.models import Order, OrderLine, Package
from orders.services.history import lock as lock_order
from returns.models import Return, ReturnLine, ReturnReceipt
from returns.representation import return_data
from vectis.db_retry import atomic_with_retry
from vectis.errors import Conflict, ValidationFailed
from vectis.serializers import format_money
from warehouses import services as warehouses
from warehouses.models import Location, Warehouse
from webhooks import services as webhooks

QUARANTINE_CODE = "QUARANTINE"


class InvalidReturnTransition(Conflict):
    code = "invalid_status_transition"
    default_message = "The return cannot do that in its current status."


def _refuse(ret: Return, to: str, why: str) -> InvalidReturnTransition:
    return InvalidReturnTransition(
        f"A {ret.status} return cannot be {why}.",
        field="status",
        extra={"from_status": ret.status, "to_status": to},
    )


def set_status(ret: Return, to_status: str, *, why: str) -> None:
    """The one place a return's status changes: per Return.TRANSITIONS, else 409
    `invalid_status_transition` ("A requested return cannot be {why}."). The caller holds the
    return's row lock and saves it."""
    if to_status not in Return.TRANSITIONS[ret.status]:
        raise _refuse(ret, to_status, why)
    ret.status = to_status


def _lock(ret: Return) -> Return:
    lock_order(ret.order)
    return Return.objects.select_for_update().get(pk=ret.pk)


def _claimed(order_line_ids, exclude_return: int | None = None) -> dict[int, int]:
    rows = ReturnLine.objects.filter(
        order_line_id__in=list(order_line_ids), ret__status__in=Return.CLAIMING
    )
    if exclude_return is not None:
        rows = rows.exclude(ret_id=exclude_return)
    return {
        r["order_line_id"]: r["total"]
        for r in rows.values("order_line_id").annotate(total=Sum("quantity"))
    }


def _line_for(order_lines: list[OrderLine], item: dict, where: str) -> OrderLine:
    return matching(order_lines, item, where=where, id_key="order_line_id")[0]


# --- request -------------------------------------------------------------------------------------
def refund_record(data: dict | None) -> dict | None:
    """A refund as a return stores it (amount as a money string), from validated input."""
    if not data:
        return None
    return {**data, "amount": format_money(data["amount"])}


@atomic_with_retry
def return_create(
    *, order: Order, lines: list[dict], notes: str = "", rma_number: str = "", actor: str = ""
) -> Return:
    """Open a return for shipped units. Each line may return at most what shipped minus what
    other requested, authorized, received or closed returns claim. Emits return.created."""
    locked = lock_order(order)
    order_lines = list(locked.lines.select_related("product"))
    wanted: dict[int, int] = defaultdict(int)
    resolved = []
    for index, item in enumerate(lines):
        line = _line_for(order_lines, item, f"lines[{index}]")
        wanted[line.pk] += item["quantity"]
        resolved.append((index, line, item))
    claimed = _claimed(wanted)
    for index, line, _ in resolved:
        room = line.quantity_shipped - claimed.get(line.pk, 0)
        if wanted[line.pk] > room:
            raise Conflict(
                f"Line {line.sku} can return at most {max(room, 0)} more units "
                f"({line.quantity_shipped} shipped, {claimed.get(line.pk, 0)} already on returns).",
                field=f"lines[{index}].quantity",
                code="over_return",
            )
    try:
        with transaction.atomic():
            ret = Return.objects.create(
                account_id=locked.account_id,
                order=locked,
                rma_number=rma_number or _new_rma(),
                notes=notes,
            )
    except IntegrityError as exc:
        raise Conflict(
            f"RMA number {rma_number} is taken.", field="rma_number", code="duplicate_rma"
        ) from exc
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(
                account_id=locked.account_id,
                ret=ret,
                order_line=line,
                quantity=item["quantity"],
                reason=item["reason"],
                note=item.get("note", ""),
            )
            for _, line, item in resolved
        ]
    )
    orders.record(locked, "return_requested", data={"rma_number": ret.rma_number}, actor=actor)
    webhooks.emit(locked.account_id, "return.created", return_data(ret))
    return ret


def _new_rma() -> str:
    return "RMA-" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


# --- authorize, reject, cancel, close ------------------------------------------------------------
def return_authorize(
    *,
    ret: Return,
    warehouse: Warehouse | None = None,
    refund: dict | None = None,
    label: bool = False,
    actor: str = "",
) -> Return:
    """requested → authorized, with the receiving warehouse (default: the one the order
    shipped from) and an optional refund record; optionally a return label (issued by the
    default carrier, outside the transaction)."""
    authorized = _authorize(ret.pk, warehouse, refund, actor)
    if label:
        adapter = adapter_for(settings.VECTIS_DEFAULT_CARRIER)
        package = Package(order=authorized.order, warehouse=authorized.warehouse)
        issued = adapter.create_label(package)
        Return.objects.filter(pk=authorized.pk).update(
            label_carrier=settings.VECTIS_DEFAULT_CARRIER,
            label_tracking_number=issued.tracking_number,
        )
        authorized.refresh_from_db()
    return authorized


@atomic_with_retry
def _authorize(pk: int, warehouse, refund, actor) -> Return:
    ret = _lock(Return.objects.get(pk=pk))
    set_status(ret, Return.AUTHORIZED, why="authorized")
    if warehouse is None:
        shipped_from = (
            Package.objects.filter(order_id=ret.order_id, shipped_at__isnull=False)
            .order_by("id")
            .values_list("warehouse_id", flat=True)
            .first()
        )
        warehouse = Warehouse.objects.filter(pk=shipped_from).first() or (
            Warehouse.objects.filter(account_id=ret.account_id, active=True)
            .order_by("-priority", "code")
            .first()
        )
    if warehouse is None:
        raise ValidationFailed(
            "The account has no warehouse to receive into.", field="warehouse_id"
        )
    ret.warehouse = warehouse
    if refund:
        ret.refund = refund
    ret.save()
    webhooks.emit(ret.account_id, "return.authorized", return_data(ret))
    return ret


@atomic_with_retry
def return_reject(*, ret: Return, reason: str, actor: str = "") -> Return:
    ret = _lock(ret)
    if _received_any(ret):
        raise _refuse(ret, Return.REJECTED, "rejected")
    set_status(ret, Return.REJECTED, why="rejected")
    ret.reject_reason = reason
    ret.save()
    webhooks.emit(ret.account_id, "return.rejected", return_data(ret))
    return ret


@atomic_with_retry
def return_cancel(*, ret: Return, actor: str = "") -> Return:
    ret = _lock(ret)
    if _received_any(ret):
        raise _refuse(ret, Return.CANCELLED, "cancelled")
    set_status(ret, Return.CANCELLED, why="cancelled")
    ret.save()
    webhooks.emit(ret.account_id, "return.cancelled", return_data(ret))
    return ret


@atomic_with_retry
def return_close(*, ret: Return, refund: dict | None = None, actor: str = "") -> Return:
    """received → closed, with an optional (final) refund record. Emits return.closed."""
    ret = _lock(ret)
    set_status(ret, Return.CLOSED, why="closed (receive it first)")
    if refund:
        ret.refund = refund
    ret.save()
    webhooks.emit(ret.account_id, "return.closed", return_data(ret))
    return ret


def _received_any(ret: Return) -> bool:
    return ret.lines.filter(quantity_received__gt=0).exists()


# --- receive -------------------------------------------------------------------------------------
@atomic_with_retry
def return_receive(*, ret: Return, items: list[dict], actor: str = "") -> Return:
    """Take units in: per line `quantity_received`, `condition` and `disposition` — restock
    (a pickable bin of the receiving warehouse: `returned` movement, available again, may fill
    backorders), quarantine (a non-pickable bin: on hand, never allocated) or scrap (recorded,
    no stock). Partial receipts add up; the return is `received` (return.received) once every
    line is. Order lines count the units as returned."""
    ret = _lock(ret)
    why = "received (authorize it first)"
    if Return.RECEIVED not in Return.TRANSITIONS[ret.status]:  # partial receipts stay authorized
        raise _refuse(ret, Return.RECEIVED, why)
    lines = list(ret.lines.select_related("order_line__product"))
    taking: dict[int, int] = defaultdict(int)
    plan = []
    for index, item in enumerate(items):
        where = f"lines[{index}]"
        line = matching(
            lines,
            item,
            where=where,
            id_key="order_line_id",
            line=lambda ln: ln.order_line,
            owner="return",
        )[0]
        taking[line.pk] += item["quantity_received"]
        if line.quantity_received + taking[line.pk] > line.quantity:
            raise ValidationFailed(
                f"Line {line.order_line.sku} expects {line.quantity - line.quantity_received} "
                "more units.",
                field=f"{where}.quantity_received",
                code="over_receipt",
            )
        location = _destination(ret, item, where)
        plan.append((line, item, location))
    reference = ret.rma_number
    parts = stock_parts(line.order_line.product for line in lines)
    stocked = Product.objects.in_bulk({pid for plist in parts.values() for pid, _ in plist})
    for line, item, location in plan:
        quantity = item["quantity_received"]
        if item["disposition"] != "scrap":
            for product_id, per in parts[line.order_line.product_id]:
                inventory.adjust(
                    product=stocked[product_id],
                    location=location,
                    reason="returned",
                    quantity=quantity * per,
                    note=f"{item['disposition']} ({item['condition']})",
                    reference=reference,
                    actor=actor,
                )
        ReturnReceipt.objects.create(
            account_id=ret.account_id,
            line=line,
            quantity=quantity,
            condition=item["condition"],
            disposition=item["disposition"],
            location=location if item["disposition"] != "scrap" else None,
            actor=actor,
        )
        line.quantity_received += quantity
    ReturnLine.objects.bulk_update(lines, ["quantity_received"])
    orders.order_record_return(
        order=ret.order,
        line_quantities={ln.order_line_id: taking[ln.pk] for ln in lines if taking.get(ln.pk)},
        rma=ret.rma_number,
        actor=actor,
    )
    if all(ln.quantity_received == ln.quantity for ln in lines):
        set_status(ret, Return.RECEIVED, why=why)
        ret.save()
        webhooks.emit(ret.account_id, "return.received", return_data(ret))
    else:
        ret.save()  # updated_at
    return ret


def _destination(ret: Return, item: dict, where: str) -> Location | None:
    """Where received units go: the given bin, or the warehouse's default bin (restock) or its
    quarantine bin (created on first use)."""
    disposition = item["disposition"]
    if disposition == "scrap":
        return None
    location = item.get("location")
    if location is not None:
        if location.warehouse_id != ret.warehouse_id:
            raise ValidationFailed(
                "The location is not in the return's receiving warehouse.",
                field=f"{where}.location_id",
                code="location_not_in_warehouse",
            )
        if disposition == "restock" and not location.pickable:
            raise ValidationFailed(
                "Restock goes to a pickable location.", field=f"{where}.location_id"
            )
        if disposition == "quarantine" and location.pickable:
            raise ValidationFailed(
                "Quarantine goes to a non-pickable location.", field=f"{where}.location_id"
            )
        return location
    if disposition == "restock":
        return Location.objects.get(warehouse_id=ret.warehouse_id, is_default=True)
    quarantine = Location.objects.filter(
        warehouse_id=ret.warehouse_id, code=QUARANTINE_CODE
    ).first()
    if quarantine is None:
        quarantine = warehouses.location_create(
            warehouse=ret.warehouse,
            data={"code": QUARANTINE_CODE, "name": "Returns quarantine", "pickable": False},
        )
    if quarantine.pickable:
        raise ValidationFailed(
            f"Location {QUARANTINE_CODE} is pickable; give a non-pickable location_id.",
            field=f"{where}.location_id",
        )
    return quarantine
