"""Returns in the admin: managers authorize, reject and cancel; operators receive several
dispositions of one line in one submission and close; what was scrapped shows on the return."""

import pytest

from inventory.models import StockLevel
from orders.models import Order
from returns.models import Return
from tests.factories import order_body, staff
from tests.helpers import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(account, stock):
    """A shipped order of 3 TEE and a return of 2 of them, requested."""
    account.auto_allocate = False
    account.save()
    main = stock.warehouse("MAIN")
    stock.location(main, "Q-01", pickable=False)
    tee = stock.product("TEE")
    stock.receive(tee, main, 5)
    api = Api(account)
    data = order_body(items=[{"sku": "TEE", "quantity": 3}])
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    assert api.post(f"/v1/orders/{order}/ship").status_code == 200
    body = {"order_id": order, "lines": [{"sku": "TEE", "quantity": 2, "reason": "defective"}]}
    ret = api.post("/v1/returns", body).json()
    return Return.objects.get(public_id=ret["id"])


def decide(client, ret, decision, data=None):
    return client.post(f"/admin/returns/return/{ret.pk}/{decision}/", data or {}, follow=True)


def on_hand_of(sku: str) -> int:
    return sum(StockLevel.objects.filter(product__sku=sku).values_list("on_hand", flat=True))


def test_authorize_with_warehouse_refund_and_label(client, account, requested):
    staff(client, {account: "manager"})
    page = client.get(f"/admin/returns/return/{requested.pk}/change/")
    assert [name for name, _, _ in page.context["decisions"]] == ["authorize", "reject", "cancel"]
    warehouse = requested.order.packages.get().warehouse
    response = decide(
        client,
        requested,
        "authorize",
        {"warehouse": warehouse.pk, "label": "on", "refund_amount": "12.5",
         "refund_currency": "USD", "refund_reference": "R-1", "refund_status": "pending"},
    )  # fmt: skip
    requested.refresh_from_db()
    assert requested.status == "authorized"
    assert requested.refund["amount"] == "12.50" and requested.refund["reference"] == "R-1"
    assert requested.label_tracking_number
    assert f"{requested.rma_number}: authorized." in [str(m) for m in response.context["messages"]]


def test_an_operator_cannot_authorize_reject_or_cancel(client, account, requested):
    staff(client, {account: "operator"})
    for decision in ("authorize", "reject", "cancel"):
        assert client.get(f"/admin/returns/return/{requested.pk}/{decision}/").status_code == 403
        assert decide(client, requested, decision, {"reason": "x"}).status_code == 403
    requested.refresh_from_db()
    assert requested.status == "requested"
    page = client.get(f"/admin/returns/return/{requested.pk}/change/")
    assert page.context["decisions"] == []


def test_reject_and_cancel(client, account, requested, stock):
    staff(client, {account: "manager"})
    decide(client, requested, "reject", {"reason": "outside the return window"})
    requested.refresh_from_db()
    assert (requested.status, requested.reject_reason) == ("rejected", "outside the return window")
    refused = decide(client, requested, "cancel")
    assert any("cannot be cancelled" in str(m) for m in refused.context["messages"])


def test_receive_restock_and_scrap_of_one_line_in_one_submission(client, account, requested):
    staff(client, {account: "manager"})
    decide(client, requested, "authorize")
    requested.refresh_from_db()
    staff(client, {account: "operator"})
    line = requested.lines.get()
    before = on_hand_of("TEE")
    response = client.post(
        f"/admin/returns/return/{requested.pk}/receive/",
        {"form-TOTAL_FORMS": 1, "form-INITIAL_FORMS": 1, "form-0-line_id": line.pk,
         "form-0-condition": "damaged", "form-0-restock": 1, "form-0-quarantine": 0,
         "form-0-scrap": 1},
        follow=True,
    )  # fmt: skip
    requested.refresh_from_db()
    assert requested.status == "received"
    assert [str(m) for m in response.context["messages"]] == [
        f"{requested.rma_number}: received 1 restock, 1 scrap; now received."
    ]
    assert on_hand_of("TEE") == before + 1  # the scrapped unit is not stock
    receipts = sorted(requested.lines.get().receipts.values_list("disposition", "quantity"))
    assert receipts == [("restock", 1), ("scrap", 1)]
    detail = client.get(f"/admin/returns/return/{requested.pk}/change/").content.decode()
    assert "Receipts (what arrived and where it went)" in detail
    assert "<td>1</td><td>damaged</td><td>scrap</td><td>—</td>" in detail  # no bin: not stock

    closed = decide(client, requested, "close", {"refund_amount": "", "refund_currency": "USD"})
    requested.refresh_from_db()
    assert requested.status == "closed"
    assert f"{requested.rma_number}: closed." in [str(m) for m in closed.context["messages"]]


def test_receive_into_a_chosen_quarantine_bin(client, account, requested):
    from warehouses.models import Location

    staff(client, {account: "manager"})
    decide(client, requested, "authorize")
    requested.refresh_from_db()
    line = requested.lines.get()
    bin_ = Location.objects.get(code="Q-01")
    client.post(
        f"/admin/returns/return/{requested.pk}/receive/",
        {"form-TOTAL_FORMS": 1, "form-INITIAL_FORMS": 1, "form-0-line_id": line.pk,
         "form-0-condition": "damaged", "form-0-restock": 0, "form-0-quarantine": 2,
         "form-0-quarantine_location": bin_.pk, "form-0-scrap": 0},
    )  # fmt: skip
    assert StockLevel.objects.get(location=bin_).on_hand == 2
    assert Order.objects.get(pk=requested.order_id).lines.get().quantity_returned == 2
