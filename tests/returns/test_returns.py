import io

import pytest
from pypdf import PdfReader

from inventory.models import StockLevel, StockMovement
from inventory.selectors import verify_ledger
from orders.models import Order, OrderLine
from tests.factories import order_body
from tests.helpers import assert_scope_matrix, error_of
from webhooks.models import Event


@pytest.fixture
def shipped(api, stock, account):
    """A shipped order: 3 WIDGET-BLU and 1 GADGET-RED from MAIN (10 of each received)."""
    account.auto_allocate = False
    account.save()
    wh = stock.warehouse("MAIN")
    for sku in ("WIDGET-BLU", "GADGET-RED"):
        stock.receive(stock.product(sku), wh, 10)
    data = order_body(
        items=[{"sku": "WIDGET-BLU", "quantity": 3}, {"sku": "GADGET-RED", "quantity": 1}]
    )
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    api.post(f"/v1/orders/{order}/ship")
    return order, wh


def request_return(api, order, lines):
    return api.post("/v1/returns", {"order_id": order, "lines": lines})


def on_hand(sku, pickable=None):
    levels = StockLevel.objects.filter(product__sku=sku)
    if pickable is not None:
        levels = levels.filter(location__pickable=pickable)
    return sum(levels.values_list("on_hand", flat=True))


def test_over_return_is_refused(api, shipped):
    order, _ = shipped
    too_many = request_return(
        api, order, [{"sku": "WIDGET-BLU", "quantity": 4, "reason": "defective"}]
    )
    assert too_many.status_code == 409
    error = error_of(too_many)
    assert (error["code"], error["field"]) == ("over_return", "lines[0].quantity")
    first = request_return(api, order, [{"sku": "WIDGET-BLU", "quantity": 2, "reason": "damaged"}])
    assert first.status_code == 201, first.content
    second = request_return(api, order, [{"sku": "WIDGET-BLU", "quantity": 2, "reason": "other"}])
    assert (second.status_code, error_of(second)["field"]) == (409, "lines[0].quantity")
    # a cancelled return frees its units for another
    api.post(f"/v1/returns/{first.json()['id']}/cancel")
    assert (
        request_return(
            api, order, [{"sku": "WIDGET-BLU", "quantity": 3, "reason": "other"}]
        ).status_code
        == 201
    )


def test_partial_then_full_receipt_restock_quarantine_scrap(api, shipped):
    order, wh = shipped
    created = request_return(
        api,
        order,
        [
            {"sku": "WIDGET-BLU", "quantity": 3, "reason": "no_longer_needed"},
            {"sku": "GADGET-RED", "quantity": 1, "reason": "damaged"},
        ],
    ).json()
    ret = created["id"]
    assert created["rma_number"].startswith("RMA-") and created["status"] == "requested"
    early = api.post(
        f"/v1/returns/{ret}/receive",
        {
            "lines": [
                {
                    "sku": "WIDGET-BLU",
                    "quantity_received": 1,
                    "condition": "new",
                    "disposition": "restock",
                }
            ]
        },
    )
    assert (early.status_code, error_of(early)["code"]) == (409, "invalid_status_transition")
    authorized = api.post(
        f"/v1/returns/{ret}/authorize",
        {"refund": {"amount": "89.97", "currency": "USD"}, "label": True},
    )
    assert authorized.status_code == 200, authorized.content
    assert authorized.json()["warehouse_id"] == wh.public_id
    assert authorized.json()["refund"]["amount"] == "89.97"
    label = api.get(f"/v1/returns/{ret}/label")
    assert label["Content-Type"] == "application/pdf"
    assert authorized.json()["label"]["tracking_number"] in (
        PdfReader(io.BytesIO(label.content)).pages[0].extract_text()
    )
    assert (on_hand("WIDGET-BLU"), on_hand("GADGET-RED")) == (7, 9)

    partial = api.post(
        f"/v1/returns/{ret}/receive",
        {
            "lines": [
                {
                    "sku": "WIDGET-BLU",
                    "quantity_received": 1,
                    "condition": "new",
                    "disposition": "restock",
                }
            ]
        },
    )
    assert partial.status_code == 200, partial.content
    assert partial.json()["status"] == "authorized"
    assert on_hand("WIDGET-BLU") == 8
    over = api.post(
        f"/v1/returns/{ret}/receive",
        {
            "lines": [
                {
                    "sku": "WIDGET-BLU",
                    "quantity_received": 3,
                    "condition": "new",
                    "disposition": "restock",
                }
            ]
        },
    )
    assert (over.status_code, error_of(over)["code"]) == (400, "over_receipt")

    full = api.post(
        f"/v1/returns/{ret}/receive",
        {
            "lines": [
                {
                    "sku": "WIDGET-BLU",
                    "quantity_received": 1,
                    "condition": "opened",
                    "disposition": "quarantine",
                },
                {
                    "sku": "WIDGET-BLU",
                    "quantity_received": 1,
                    "condition": "damaged",
                    "disposition": "scrap",
                },
                {
                    "sku": "GADGET-RED",
                    "quantity_received": 1,
                    "condition": "damaged",
                    "disposition": "scrap",
                },
            ]
        },
    )
    assert full.status_code == 200, full.content
    assert full.json()["status"] == "received"
    # restock 1 → pickable; quarantine 1 → on hand, not pickable; scrap → nothing
    assert (on_hand("WIDGET-BLU", pickable=True), on_hand("WIDGET-BLU", pickable=False)) == (8, 1)
    assert on_hand("GADGET-RED") == 9
    row = api.get("/v1/inventory", {"sku": "WIDGET-BLU"}).json()["data"][0]
    assert (row["on_hand"], row["available"]) == (9, 8)
    assert sorted(OrderLine.objects.values_list("sku", "quantity_returned")) == [
        ("GADGET-RED", 1),
        ("WIDGET-BLU", 3),
    ]
    assert StockMovement.objects.filter(reason="returned").count() == 2
    closed = api.post(
        f"/v1/returns/{ret}/close",
        {"refund": {"amount": "89.97", "currency": "USD", "status": "issued"}},
    )
    assert closed.json()["status"] == "closed"
    assert closed.json()["refund"]["status"] == "issued"
    assert verify_ledger()[1] == []
    counts = {
        t: Event.objects.filter(type=t).count()
        for t in ("return.created", "return.authorized", "return.received", "return.closed")
    }
    assert counts == {
        "return.created": 1,
        "return.authorized": 1,
        "return.received": 1,
        "return.closed": 1,
    }
    history = [e["type"] for e in api.get(f"/v1/orders/{order}/events").json()["data"]]
    assert history[-3:] == ["return_requested", "returned", "returned"]


def test_restock_fills_a_backorder_and_quarantine_never_does(
    api, shipped, stock, django_capture_on_commit_callbacks
):
    order, wh = shipped
    # drain WIDGET-BLU so that a new order backorders
    stock.receive(StockLevel.objects.get(product__sku="WIDGET-BLU").product, wh, -7)
    data = order_body("WAITING", items=[{"sku": "WIDGET-BLU", "quantity": 1}])
    waiting = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{waiting}/allocate")
    assert Order.objects.get(public_id=waiting).status == "backordered"
    ret = request_return(
        api, order, [{"sku": "WIDGET-BLU", "quantity": 2, "reason": "other"}]
    ).json()["id"]
    api.post(f"/v1/returns/{ret}/authorize")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            f"/v1/returns/{ret}/receive",
            {
                "lines": [
                    {
                        "sku": "WIDGET-BLU",
                        "quantity_received": 1,
                        "condition": "opened",
                        "disposition": "quarantine",
                    }
                ]
            },
        )
    assert Order.objects.get(public_id=waiting).status == "backordered"
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            f"/v1/returns/{ret}/receive",
            {
                "lines": [
                    {
                        "sku": "WIDGET-BLU",
                        "quantity_received": 1,
                        "condition": "new",
                        "disposition": "restock",
                    }
                ]
            },
        )
    assert Order.objects.get(public_id=waiting).status == "allocated"
    assert verify_ledger()[1] == []


def test_scope_matrix_and_tenancy(account, api, other_api, shipped):
    order, _ = shipped
    ids = {}
    body = lambda: [{"sku": "WIDGET-BLU", "quantity": 1, "reason": "other"}]  # noqa: E731
    for name in ("read", "auth", "receive"):
        ids[name] = request_return(api, order, body()).json()["id"]
    api.post(f"/v1/returns/{ids['receive']}/authorize", {"label": True})
    gadget = [{"sku": "GADGET-RED", "quantity": 1, "reason": "other"}]
    ids["cancel"] = request_return(api, order, gadget).json()["id"]
    assert_scope_matrix(
        account,
        [
            ("GET", "/v1/returns", None, "returns:read"),
            ("GET", f"/v1/returns/{ids['read']}", None, "returns:read"),
            ("POST", f"/v1/returns/{ids['auth']}/authorize", {}, "returns:write"),
            ("GET", f"/v1/returns/{ids['receive']}/label", None, "returns:read"),
            (
                "POST",
                f"/v1/returns/{ids['receive']}/receive",
                {
                    "lines": [
                        {
                            "sku": "WIDGET-BLU",
                            "quantity_received": 1,
                            "condition": "new",
                            "disposition": "scrap",
                        }
                    ]
                },
                "returns:write",
            ),
            ("POST", f"/v1/returns/{ids['receive']}/close", {}, "returns:write"),
            ("POST", f"/v1/returns/{ids['read']}/reject", {"reason": "no"}, "returns:write"),
            ("POST", f"/v1/returns/{ids['cancel']}/cancel", None, "returns:write"),
        ],
    )
    # the rejected return no longer claims its unit: a new one may
    assert_scope_matrix(
        account,
        [
            ("POST", "/v1/returns", {"order_id": order, "lines": body()}, "returns:write"),
        ],
    )
    theirs = ids["auth"]
    assert other_api.get("/v1/returns").json()["data"] == []
    assert other_api.get(f"/v1/returns/{theirs}").status_code == 404
    for action in ("authorize", "reject", "cancel", "receive", "close"):
        assert other_api.post(f"/v1/returns/{theirs}/{action}", {}).status_code == 404
    foreign = other_api.post("/v1/returns", {"order_id": order, "lines": body()})
    assert (foreign.status_code, error_of(foreign)["field"]) == (400, "order_id")


def test_admin_receiving_screen(client, api, shipped):
    from django.contrib.auth.models import User

    order, _ = shipped
    ret = request_return(
        api, order, [{"sku": "WIDGET-BLU", "quantity": 2, "reason": "defective"}]
    ).json()
    api.post(f"/v1/returns/{ret['id']}/authorize")
    client.force_login(User.objects.create_superuser("root", password="pw"))
    found = client.get("/admin/returns/return/", {"q": "SHOP-12345"}).content.decode()
    assert ret["rma_number"] in found and "Receive" in found
    from returns.models import Return

    pk = Return.objects.get(public_id=ret["id"]).pk
    page = client.get(f"/admin/returns/return/{pk}/receive/")
    assert page.status_code == 200 and "WIDGET-BLU" in page.content.decode()
    line_pk = Return.objects.get(pk=pk).lines.get().pk
    form = {
        "form-TOTAL_FORMS": 1,
        "form-INITIAL_FORMS": 1,
        "form-0-line_id": line_pk,
        "form-0-condition": "new",
        "form-0-restock": 2,  # the screen splits units by disposition (restock/quarantine/scrap)
        "form-0-quarantine": 0,
        "form-0-scrap": 0,
    }
    response = client.post(f"/admin/returns/return/{pk}/receive/", form)
    assert response.status_code == 302
    assert Return.objects.get(pk=pk).status == "received"
    assert on_hand("WIDGET-BLU") == 9
    again = client.post(f"/admin/returns/return/{pk}/receive/", form, follow=True)
    assert "cannot be received" in again.content.decode()
    assert on_hand("WIDGET-BLU") == 9
