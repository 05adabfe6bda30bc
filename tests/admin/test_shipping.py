"""Pick, pack and ship in the admin: pick lists by bin, the packing station's scans, shipping
with a label, batch ship-and-print, void, delivered, tracking, packing slips; per role."""

import io

import pytest
from pypdf import PdfReader

from orders.models import Order, Package
from tests.factories import order_body, staff
from tests.helpers import Api

pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pages(response) -> int:
    return len(PdfReader(io.BytesIO(response.content)).pages)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def shop(account, stock):
    """Stock in two bins of MAIN; orders placed and allocated."""
    account.auto_allocate = False
    account.save()
    main = stock.warehouse("MAIN")
    tee = stock.product("TEE", barcode="0012345678905")
    mug = stock.product("MUG")
    stock.receive(tee, stock.location(main, "B-02"), 10)
    stock.receive(mug, stock.location(main, "A-01"), 10)
    api = Api(account)

    def order(external_id, items):
        data = order_body(external_id, items=[{"sku": s, "quantity": q} for s, q in items])
        public_id = api.post("/v1/orders", data).json()["id"]
        assert api.post(f"/v1/orders/{public_id}/allocate").status_code == 200
        return Order.objects.get(public_id=public_id)

    return order


def test_pick_list_of_one_order_goes_bin_by_bin(client, account, shop):
    staff(client, {account: "operator"})
    order = shop("SHOP-1", [("TEE", 2), ("MUG", 1)])
    text = pdf_text(client.get(f"/admin/orders/order/{order.pk}/pick-list/"))
    assert "Pick list: shopify:SHOP-1" in text
    assert text.index("A-01") < text.index("MUG") < text.index("B-02") < text.index("TEE")
    screen = client.get(f"/admin/orders/order/{order.pk}/pick-list/?screen=1")
    rows = [(r.bin, r.sku, r.quantity) for r in screen.context["rows"]]
    assert rows == [("A-01", "MUG", 1), ("B-02", "TEE", 2)]


def test_pick_list_of_a_batch_sums_per_bin(client, account, shop):
    staff(client, {account: "operator"})
    first = shop("SHOP-1", [("TEE", 2)])
    second = shop("SHOP-2", [("TEE", 3), ("MUG", 1)])
    response = client.post(
        "/admin/orders/order/",
        {"action": "print_pick_list", "_selected_action": [first.pk, second.pk]},
    )
    text = pdf_text(response)
    assert "shopify:SHOP-1, shopify:SHOP-2" in text
    after_bin = text[text.index("B-02") :].split()
    assert after_bin[:3] == ["B-02", "5", "TEE"], after_bin[:6]  # 2 + 3 TEE from B-02


def pack_url(package):
    return f"/admin/orders/package/{package.pk}/pack/"


def scan(client, package, code):
    return client.post(pack_url(package), {"step": "scan", "code": code}, follow=True)


def test_packing_station_refuses_wrong_and_extra_units_then_ships(client, account, shop):
    staff(client, {account: "operator"})
    order = shop("SHOP-1", [("TEE", 2), ("MUG", 1)])
    package = order.packages.get()
    page = client.get(pack_url(package))
    assert page.context["complete"] is False
    assert 'id="ship-button" value="Ship and print label" disabled' in page.content.decode()

    assert messages_of(scan(client, package, "SOCK")) == [
        "SOCK is not in this package: put it back."
    ]
    assert messages_of(scan(client, package, "0012345678905")) == ["TEE: 1 of 2."]  # barcode
    assert messages_of(scan(client, package, "tee")) == ["TEE: 2 of 2."]  # SKU, any case
    assert messages_of(scan(client, package, "TEE")) == [
        "All 2 unit(s) of TEE are scanned already: put that one back."
    ]
    early = client.post(pack_url(package), {"step": "ship", "carrier": "local", "weight_unit": "kg",
                                            "dimension_unit": "cm"}, follow=True)  # fmt: skip
    assert "Scan every unit before shipping." in messages_of(early)
    package.refresh_from_db()
    assert package.status == "pending"

    done = scan(client, package, "MUG")
    assert done.context["complete"] is True
    shipped = client.post(
        pack_url(package),
        {"step": "ship", "carrier": "local", "weight": "1.250", "weight_unit": "kg",
         "length": "30", "width": "20", "height": "10", "dimension_unit": "cm"},
    )  # fmt: skip
    assert shipped.status_code == 302 and shipped["Location"].endswith("?label=1")
    package.refresh_from_db()
    assert package.status == "shipped" and package.tracking_number
    assert str(package.weight) == "1.250"
    assert package.order.events.filter(type="shipped").get().actor == "user:u-operator"
    after = client.get(shipped["Location"])
    assert after.context["open_label"] is True
    label = client.get(f"/admin/orders/package/{package.pk}/label/")
    assert "inline" in label["Content-Disposition"]
    assert package.tracking_number in pdf_text(label)


def test_scans_are_kept_per_package(client, account, shop):
    staff(client, {account: "operator"})
    one = shop("SHOP-1", [("TEE", 1)]).packages.get()
    two = shop("SHOP-2", [("TEE", 1)]).packages.get()
    scan(client, one, "TEE")
    assert client.get(pack_url(two)).context["complete"] is False
    assert client.get(pack_url(one)).context["complete"] is True
    client.post(pack_url(one), {"step": "reset"})
    assert client.get(pack_url(one)).context["complete"] is False


def test_ship_and_print_labels_in_one_pdf_then_void_and_deliver(client, account, shop):
    staff(client, {account: "operator"})
    packages = [shop(f"SHOP-{n}", [("TEE", 1)]).packages.get() for n in (1, 2)]
    response = client.post(
        "/admin/orders/package/",
        {"action": "ship_and_print", "_selected_action": [p.pk for p in packages]},
    )
    assert pages(response) == 2
    text = pdf_text(response)
    for package in packages:
        package.refresh_from_db()
        assert package.status == "shipped"
        assert package.tracking_number in text

    voided = client.post(
        "/admin/orders/package/",
        {"action": "void_selected", "_selected_action": [packages[0].pk]},
        follow=True,
    )
    assert messages_of(voided) == [f"{packages[0].public_id}: label voided, pending again."]
    delivered = client.post(
        "/admin/orders/package/",
        {"action": "mark_delivered", "_selected_action": [p.pk for p in packages]},
        follow=True,
    )
    for p in packages:
        p.refresh_from_db()
    assert [p.status for p in packages] == ["pending", "delivered"]
    assert f"{packages[1].public_id}: delivered." in messages_of(delivered)
    assert any(packages[0].public_id in m and "track" in m for m in messages_of(delivered))


def test_tracking_entry(client, account, shop):
    staff(client, {account: "operator"})
    package = shop("SHOP-1", [("TEE", 1)]).packages.get()
    client.post(
        "/admin/orders/package/",
        {"action": "ship_and_print", "_selected_action": [package.pk]},
    )
    response = client.post(
        f"/admin/orders/package/{package.pk}/track/",
        {"status": "in_transit", "location": "Hub 4", "description": "arrived"},
    )
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.status == "in_transit"
    assert package.tracking_events.get().location == "Hub 4"


def test_packing_slips_in_one_pdf(client, account, shop):
    staff(client, {account: "operator"})
    orders = [shop(f"SHOP-{n}", [("TEE", 1)]) for n in (1, 2)]
    response = client.post(
        "/admin/orders/order/",
        {"action": "print_packing_slips", "_selected_action": [o.pk for o in orders]},
    )
    text = pdf_text(response)
    assert pages(response) == 2
    assert "Packing slip — shopify SHOP-1" in text and "Packing slip — shopify SHOP-2" in text


def test_a_viewer_cannot_pick_pack_or_ship(client, account, shop):
    staff(client, {account: "viewer"})
    order = shop("SHOP-1", [("TEE", 1)])
    package = order.packages.get()
    assert client.get(f"/admin/orders/order/{order.pk}/pick-list/").status_code == 403
    assert client.get(pack_url(package)).status_code == 403
    assert client.post(pack_url(package), {"step": "scan", "code": "TEE"}).status_code == 403
    client.post(
        "/admin/orders/package/",
        {"action": "ship_and_print", "_selected_action": [package.pk]},
    )
    package.refresh_from_db()
    assert package.status == Package.PENDING
    listing = client.get("/admin/orders/package/")
    assert listing.context["action_form"] is None  # no action offered
    assert ">Pack</a>" not in listing.content.decode()  # nor the packing station
    detail = client.get(f"/admin/orders/package/{package.pk}/change/").content.decode()
    assert "Pack and ship" not in detail


def test_another_accounts_package_is_not_found(client, account, other_account, shop):
    from tests.factories import Stock

    staff(client, {account: "manager"})
    theirs_stock = Stock(other_account)
    wh = theirs_stock.warehouse("BMAIN")
    theirs_stock.receive(theirs_stock.product("TEE"), wh, 5)
    other_account.auto_allocate = False
    other_account.save()
    api = Api(other_account)
    data = order_body(items=[{"sku": "TEE", "quantity": 1}])
    public_id = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{public_id}/allocate")
    theirs = Order.objects.get(public_id=public_id)
    package = theirs.packages.get()
    assert client.get(pack_url(package)).status_code == 404
    assert client.get(f"/admin/orders/order/{theirs.pk}/pick-list/").status_code == 404
    assert client.get(f"/admin/orders/package/{package.pk}/label/").status_code == 404
