import pytest

from orders.models import Package
from tests.factories import order_body
from tests.helpers import assert_scope_matrix, error_of
from webhooks.models import Event


@pytest.fixture
def two_warehouse_order(api, stock, account):
    """WIDGET-BLU only in EAST, GADGET-RED only in WEST: allocation draws from both."""
    account.auto_allocate = False
    account.save()
    east, west = stock.warehouse("EAST", priority=5), stock.warehouse("WEST")
    stock.receive(stock.product("WIDGET-BLU"), east, 10)
    stock.receive(stock.product("GADGET-RED"), west, 10)
    data = order_body(
        items=[{"sku": "WIDGET-BLU", "quantity": 3}, {"sku": "GADGET-RED", "quantity": 2}]
    )
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    return order, east, west


def packages(api, **params):
    response = api.get("/v1/packages", params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def shape(data):
    return sorted(
        (p["warehouse_id"], p["status"], tuple((ln["sku"], ln["quantity"]) for ln in p["lines"]))
        for p in data
    )


def test_allocation_creates_one_pending_package_per_warehouse(api, two_warehouse_order):
    order, east, west = two_warehouse_order
    listed = packages(api, order=order)
    assert shape(listed) == sorted(
        [
            (east.public_id, "pending", (("WIDGET-BLU", 3),)),
            (west.public_id, "pending", (("GADGET-RED", 2),)),
        ]
    )
    assert Event.objects.filter(type="package.created").count() == 2
    detail = api.get(f"/v1/packages/{listed[0]['id']}").json()
    assert detail == listed[0]
    assert packages(api, warehouse=west.public_id)[0]["lines"][0]["sku"] == "GADGET-RED"
    assert packages(api, status="shipped") == []


def test_pending_packages_follow_cancels_and_deallocation(api, two_warehouse_order):
    order, east, _ = two_warehouse_order
    api.post(f"/v1/orders/{order}/cancel", {"items": [{"sku": "WIDGET-BLU", "quantity": 1}]})
    east_package = packages(api, warehouse=east.public_id)[0]
    assert east_package["lines"] == [
        {"line_id": east_package["lines"][0]["line_id"], "sku": "WIDGET-BLU", "quantity": 2}
    ]
    api.post(f"/v1/orders/{order}/deallocate")
    assert {p["status"] for p in packages(api, order=order)} == {"cancelled"}


def test_split_and_edit_a_pending_package(api, two_warehouse_order):
    order, east, _ = two_warehouse_order
    east_id = packages(api, warehouse=east.public_id)[0]["id"]
    edit = api.patch(
        f"/v1/packages/{east_id}",
        {
            "weight": "1.250",
            "weight_unit": "kg",
            "carrier": "local",
            "dimensions": {"length": 30, "width": 20, "height": 10, "unit": "cm"},
        },
    )
    assert edit.status_code == 200, edit.content
    assert (edit.json()["weight"], edit.json()["dimensions"]["length"]) == ("1.250", "30.00")
    split = api.post(
        f"/v1/packages/{east_id}/split", {"lines": [{"sku": "WIDGET-BLU", "quantity": 1}]}
    )
    assert split.status_code == 200, split.content
    body = split.json()
    assert body["package"]["lines"][0]["quantity"] == 2
    assert body["new_package"]["lines"][0]["quantity"] == 1
    assert body["new_package"]["status"] == "pending"
    everything = api.post(
        f"/v1/packages/{east_id}/split", {"lines": [{"sku": "WIDGET-BLU", "quantity": 2}]}
    )
    # what the package holds decides both: 409s (docs/api.md, "400 or 409")
    assert (everything.status_code, error_of(everything)["field"]) == (409, "lines")
    assert error_of(everything)["code"] == "split_leaves_nothing"
    too_many = api.post(
        f"/v1/packages/{east_id}/split", {"lines": [{"sku": "WIDGET-BLU", "quantity": 5}]}
    )
    assert (too_many.status_code, error_of(too_many)["field"]) == (409, "lines[0].quantity")
    assert error_of(too_many)["code"] == "quantity_unavailable"
    # shipping the order ships every pending package as it stands
    shipped = api.post(f"/v1/orders/{order}/ship").json()
    assert shipped["status"] == "shipped"
    assert sorted(p["status"] for p in packages(api, order=order)) == ["shipped"] * 3
    refused = api.patch(f"/v1/packages/{east_id}", {"carrier": "other"})
    assert (refused.status_code, error_of(refused)["code"]) == (409, "package_not_pending")
    assert Package.objects.get(public_id=east_id).carrier == "local"


def test_scope_matrix_and_tenancy(account, api, other_api, two_warehouse_order):
    order, east, west = two_warehouse_order
    east_id = packages(api, warehouse=east.public_id)[0]["id"]
    west_id = packages(api, warehouse=west.public_id)[0]["id"]
    assert_scope_matrix(
        account,
        [
            ("GET", "/v1/packages", None, "packages:read"),
            ("GET", f"/v1/packages/{east_id}", None, "packages:read"),
            ("PATCH", f"/v1/packages/{east_id}", {"service": "x"}, "packages:write"),
            (
                "POST",
                f"/v1/packages/{west_id}/split",
                {"lines": [{"sku": "GADGET-RED", "quantity": 1}]},
                "packages:write",
            ),
            ("POST", f"/v1/packages/{east_id}/ship", {}, "packages:write"),
            ("GET", f"/v1/packages/{east_id}/label", None, "packages:read"),
            (
                "POST",
                f"/v1/packages/{east_id}/tracking",
                {"status": "in_transit", "occurred_at": "2026-11-24T08:00:00Z"},
                "packages:write",
            ),
            ("GET", f"/v1/orders/{order}/packing_slip", None, "orders:read"),
        ],
    )
    ship_west = api.post(f"/v1/packages/{west_id}/ship")
    assert ship_west.status_code == 200
    assert_scope_matrix(account, [("POST", f"/v1/packages/{west_id}/void", None, "packages:write")])
    assert other_api.get("/v1/packages").json()["data"] == []
    assert other_api.get(f"/v1/packages/{east_id}").status_code == 404
    assert other_api.patch(f"/v1/packages/{east_id}", {"carrier": "y"}).status_code == 404
    for action in ("ship", "void", "tracking"):
        response = other_api.post(f"/v1/packages/{east_id}/{action}", {})
        assert response.status_code == 404, action
    assert other_api.get(f"/v1/packages/{east_id}/label").status_code == 404
    assert other_api.get(f"/v1/orders/{order}/packing_slip").status_code == 404
    split = other_api.post(
        f"/v1/packages/{east_id}/split", {"lines": [{"sku": "WIDGET-BLU", "quantity": 1}]}
    )
    assert split.status_code == 404


@pytest.mark.parametrize(
    "from_status, to_status",
    [(a, b) for a, _ in Package.STATUSES for b, _ in Package.STATUSES],
)
def test_package_transition_table(from_status, to_status):
    from orders.exceptions import InvalidStatusTransition
    from orders.services.history import set_package_status

    package = Package(status=from_status)
    if to_status in Package.TRANSITIONS[from_status]:
        set_package_status(package, to_status)
        assert package.status == to_status
        assert from_status in Package.can_become(to_status)
    else:
        with pytest.raises(InvalidStatusTransition) as refused:
            set_package_status(package, to_status)
        assert refused.value.extra == {"from_status": from_status, "to_status": to_status}
        assert package.status == from_status
        assert from_status not in Package.can_become(to_status)
