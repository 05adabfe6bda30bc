"""Order services called directly, as the admin, tasks and commands call them (the HTTP tests
go through the API): intake, totals, allocation, holds, cancellation and the history."""

from decimal import Decimal

import pytest

from orders import constants, services, totals
from orders.exceptions import AlreadyCancelled, InvalidStatusTransition, OrderOnHold
from orders.models import Order, OrderEvent
from orders.services.history import note, transition
from tests.factories import order_body
from vectis.errors import ValidationFailed
from webhooks.models import Event


@pytest.fixture
def manual(account):
    account.auto_allocate = False
    account.save()
    return account


@pytest.fixture
def shelf(stock):
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET-BLU"), wh, 10)
    stock.receive(stock.product("GADGET-RED"), wh, 10)
    return wh


def create(account, **overrides) -> Order:
    data = order_body(
        items=[
            {"sku": "WIDGET-BLU", "quantity": 2, "price": Decimal("29.99")},
            {"sku": "GADGET-RED", "quantity": 1, "price": Decimal("49.99")},
        ],
        **overrides,
    )
    return services.order_create(account=account, data=data, actor="test")


# --- totals -------------------------------------------------------------------------------------
def test_totals_add_shipping_and_tax_and_take_off_the_discount():
    sums = totals.compute(
        [(Decimal("29.99"), 2), (Decimal("49.99"), 1)], shipping="5", tax="8.10", discount="10"
    )
    assert (sums.subtotal, sums.total) == (Decimal("109.97"), Decimal("113.07"))


def test_a_negative_total_the_client_sets_is_refused_at_its_field():
    with pytest.raises(ValidationFailed) as refused:
        totals.compute([(Decimal("10"), 1)], discount="11", negative_field="totals.discount")
    assert (refused.value.code, refused.value.field) == ("negative_total", "totals.discount")


def test_a_negative_total_after_a_cancellation_stops_at_zero():
    assert totals.compute([(Decimal("10"), 1)], discount="11").total == Decimal(0)


def test_totals_beyond_the_money_columns_are_refused():
    with pytest.raises(ValidationFailed) as refused:
        totals.compute([(totals.MAX_MONEY, 2)])
    assert (refused.value.code, refused.value.field) == ("amount_too_large", "items")


# --- intake -------------------------------------------------------------------------------------
def test_create_records_lines_totals_history_and_the_event(manual, shelf):
    order = create(manual, totals={"shipping": Decimal("5"), "discount": Decimal("9.97")})

    order.refresh_from_db()
    assert order.status == constants.PENDING
    assert [(line.sku, line.quantity) for line in order.lines.order_by("position")] == [
        ("WIDGET-BLU", 2),
        ("GADGET-RED", 1),
    ]
    assert (order.subtotal, order.total) == (Decimal("109.97"), Decimal("105.00"))
    assert list(order.events.values_list("type", "actor")) == [("created", "test")]
    (event,) = Event.objects.filter(type="order.created")
    assert event.data["id"] == order.public_id


def test_create_with_hold_starts_on_hold(manual, shelf):
    order = create(manual, hold=True, hold_reason="fraud check")
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (constants.ON_HOLD, "fraud check")
    assert list(order.events.order_by("pk").values_list("type", flat=True)) == [
        "created",
        "held",
    ]


def test_a_discount_beyond_the_order_is_refused_and_nothing_is_written(manual, shelf):
    with pytest.raises(ValidationFailed) as refused:
        create(manual, totals={"discount": Decimal("500")})
    assert refused.value.code == "negative_total"
    assert not Order.objects.exists()
    assert not Event.objects.filter(type__startswith="order.").exists()


# --- allocation, holds, cancellation -------------------------------------------------------------
def test_allocate_reserves_every_line_and_moves_the_order_to_allocated(manual, shelf):
    order = create(manual)
    result = services.order_allocate(order=order, actor="test")
    assert result.reserve.shortfalls == []
    order.refresh_from_db()
    assert order.status == constants.ALLOCATED
    allocated = order.events.get(type="allocated")
    assert (allocated.from_status, allocated.to_status) == (constants.PENDING, constants.ALLOCATED)


def test_a_held_order_is_not_allocated_until_released(manual, shelf):
    order = create(manual)
    services.order_hold(order=order, reason="address check")
    with pytest.raises(OrderOnHold):
        services.order_allocate(order=order)
    released = services.order_release_hold(order=order)
    assert released.status == constants.PENDING
    services.order_allocate(order=released)
    assert Order.objects.get(pk=order.pk).status == constants.ALLOCATED


def test_cancelling_units_lowers_the_totals_and_a_discount_stops_the_total_at_zero(manual, shelf):
    order = create(manual, totals={"discount": Decimal("100")})
    assert Order.objects.get(pk=order.pk).total == Decimal("9.97")

    services.order_cancel(order=order, items=[{"sku": "GADGET-RED", "quantity": 1}])

    order.refresh_from_db()
    assert (order.subtotal, order.total) == (Decimal("59.98"), Decimal("0"))
    assert order.status == constants.PENDING  # the widgets are still open


def test_a_cancelled_order_cannot_be_cancelled_again(manual, shelf):
    order = create(manual)
    services.order_cancel(order=order, reason="customer asked")
    with pytest.raises(AlreadyCancelled):
        services.order_cancel(order=order)


# --- history ------------------------------------------------------------------------------------
def test_a_transition_off_the_table_changes_nothing(manual, shelf):
    order = create(manual)
    with pytest.raises(InvalidStatusTransition):
        transition(order, constants.SHIPPED, type="shipped")
    assert order.status == constants.PENDING


def test_a_transition_is_the_unsaved_event_of_the_change(manual, shelf):
    order = create(manual)
    event = transition(order, constants.BACKORDERED, type="backordered", data={"n": 1})
    assert event.pk is None and order.status == constants.BACKORDERED
    assert (event.from_status, event.to_status, event.data) == (
        constants.PENDING,
        constants.BACKORDERED,
        {"n": 1},
    )
    kept = note(order, "note")
    assert (kept.from_status, kept.to_status) == (constants.BACKORDERED,) * 2
    assert OrderEvent.objects.filter(order=order).count() == 1  # only "created" is saved
