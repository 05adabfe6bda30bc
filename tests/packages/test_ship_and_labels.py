import io

import pytest
from PIL import Image
from pypdf import PdfReader

from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import verify_ledger
from orders.models import Package
from tests.factories import order_body
from tests.helpers import error_of
from tests.packages.code128 import read_pdf_barcode, read_png_barcode
from webhooks.models import Event


@pytest.fixture
def two_packages(api, stock, account):
    """An order allocated across EAST (3 WIDGET-BLU) and WEST (2 GADGET-RED)."""
    account.auto_allocate = False
    account.save()
    east = stock.warehouse("EAST", priority=5)
    east.address = {
        "address1": "1 East Rd",
        "city": "Newark",
        "state": "NJ",
        "postal_code": "07114",
        "country": "US",
    }
    east.save()
    west = stock.warehouse("WEST")
    stock.receive(stock.product("WIDGET-BLU"), east, 10)
    stock.receive(stock.product("GADGET-RED"), west, 10)
    data = order_body(
        items=[{"sku": "WIDGET-BLU", "quantity": 3}, {"sku": "GADGET-RED", "quantity": 2}]
    )
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    by_wh = {p["warehouse_id"]: p["id"] for p in api.get("/v1/packages").json()["data"]}
    return order, by_wh[east.public_id], by_wh[west.public_id]


def test_ship_a_package_with_a_local_label(api, two_packages):
    order, east_pkg, _ = two_packages
    before = api.get(f"/v1/packages/{east_pkg}/label")
    assert (before.status_code, error_of(before)["code"]) == (404, "label_not_found")

    response = api.post(
        f"/v1/packages/{east_pkg}/ship", {"service": "Ground", "weight": "1.2", "weight_unit": "kg"}
    )
    assert response.status_code == 200, response.content
    package = response.json()
    assert package["status"] == "shipped"
    tracking = package["tracking_number"]
    assert tracking.startswith("VX") and len(tracking) == 18
    assert api.get(f"/v1/orders/{order}").json()["status"] == "partially_shipped"

    pdf = api.get(f"/v1/packages/{east_pkg}/label")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    (page,) = reader.pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (288.0, 432.0)
    text = page.extract_text()
    assert tracking in text and "John Doe" in text and "SHOP-12345" in text
    assert "3 x WIDGET-BLU" in text and "1.2 kg" in text and "1 East Rd" in text
    assert read_pdf_barcode(page.get_contents().get_data(), bar_height=64.8) == tracking

    zpl = api.get(f"/v1/packages/{east_pkg}/label", {"format": "zpl"})
    assert zpl["Content-Type"].startswith("text/plain")
    body = zpl.content.decode()
    assert body.startswith("^XA") and body.rstrip().endswith("^XZ")
    assert f"^BCN,180,Y,N,N^FH^FD{tracking}^FS" in body

    png = api.get(f"/v1/packages/{east_pkg}/label", {"format": "png"})
    image = Image.open(io.BytesIO(png.content))
    assert image.size == (812, 1218)
    assert read_png_barcode(image.convert("1")) == tracking

    bad = api.get(f"/v1/packages/{east_pkg}/label", {"format": "gif"})
    assert (bad.status_code, error_of(bad)["field"]) == (400, "format")


def test_full_flow_to_delivered_with_stock_and_events(api, two_packages):
    order, east_pkg, west_pkg = two_packages
    api.post(f"/v1/packages/{east_pkg}/ship")
    twice = api.post(f"/v1/packages/{east_pkg}/ship")
    assert (twice.status_code, error_of(twice)["code"]) == (409, "package_not_pending")
    api.post(f"/v1/packages/{west_pkg}/ship", {"carrier": "ups", "tracking_number": "1Z999AA1"})
    shipped = api.get(f"/v1/orders/{order}").json()
    assert shipped["status"] == "shipped"
    # a package shipped outside Vectis has no label
    manual = api.get(f"/v1/packages/{west_pkg}/label")
    assert (manual.status_code, error_of(manual)["code"]) == (404, "label_not_found")
    # stock: on_hand fell by exactly what shipped, reservations consumed, ledger intact
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand", "reserved")) == [
        ("GADGET-RED", 8, 0),
        ("WIDGET-BLU", 7, 0),
    ]
    assert sorted(
        StockMovement.objects.filter(reason="shipped").values_list("quantity", "reference")
    ) == sorted([(-3, east_pkg), (-2, west_pkg)])
    assert set(Reservation.objects.values_list("status", flat=True)) == {"consumed"}
    assert verify_ledger()[1] == []
    assert Event.objects.filter(type="package.shipped").count() == 2
    assert Event.objects.filter(type="order.shipped").count() == 1
    slip = api.get(f"/v1/orders/{order}/packing_slip")
    assert slip["Content-Type"] == "application/pdf"
    slip_text = PdfReader(io.BytesIO(slip.content)).pages[0].extract_text()
    assert east_pkg in slip_text and west_pkg in slip_text and "3 x WIDGET-BLU" in slip_text


def test_manual_carrier_needs_a_tracking_number(api, two_packages):
    _, east_pkg, _ = two_packages
    response = api.post(f"/v1/packages/{east_pkg}/ship", {"carrier": "manual"})
    assert (response.status_code, error_of(response)["field"]) == (400, "tracking_number")
    unknown = api.post(f"/v1/packages/{east_pkg}/ship", {"carrier": "pigeon"})
    assert (unknown.status_code, error_of(unknown)["code"]) == (400, "unknown_carrier")
    assert Package.objects.get(public_id=east_pkg).status == "pending"
    assert StockMovement.objects.filter(reason="shipped").count() == 0


def test_void_and_reship(api, two_packages):
    order, east_pkg, _ = two_packages
    first = api.post(f"/v1/packages/{east_pkg}/ship").json()["tracking_number"]
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand", "reserved")) == [
        ("GADGET-RED", 10, 2),
        ("WIDGET-BLU", 7, 0),
    ]
    voided = api.post(f"/v1/packages/{east_pkg}/void")
    assert voided.status_code == 200, voided.content
    assert (voided.json()["status"], voided.json()["tracking_number"]) == ("pending", "")
    assert api.get(f"/v1/orders/{order}").json()["status"] == "allocated"
    assert sorted(StockLevel.objects.values_list("product__sku", "on_hand", "reserved")) == [
        ("GADGET-RED", 10, 2),
        ("WIDGET-BLU", 10, 3),
    ]
    gone = api.get(f"/v1/packages/{east_pkg}/label")
    assert (gone.status_code, error_of(gone)["code"]) == (404, "label_not_found")
    again = api.post(f"/v1/packages/{east_pkg}/void")
    assert (again.status_code, error_of(again)["code"]) == (409, "package_not_shipped")
    second = api.post(f"/v1/packages/{east_pkg}/ship").json()["tracking_number"]
    assert second != first
    assert api.get(f"/v1/packages/{east_pkg}/label").status_code == 200
    assert sorted(
        StockMovement.objects.filter(reference=east_pkg).values_list("reason", "quantity")
    ) == [("ship_voided", 3), ("shipped", -3), ("shipped", -3)]
    assert verify_ledger()[1] == []


def test_full_flow_over_http_to_delivered(api, two_packages):
    order, east_pkg, west_pkg = two_packages
    for pkg in (east_pkg, west_pkg):
        assert api.post(f"/v1/packages/{pkg}/ship").status_code == 200
        assert api.get(f"/v1/packages/{pkg}/label").content.startswith(b"%PDF")
        assert api.get(f"/v1/packages/{pkg}/label", {"format": "zpl"}).content.startswith(b"^XA")
    scans = [
        ("in_transit", "2026-11-24T08:00:00Z", "Newark, NJ"),
        ("out_for_delivery", "2026-11-25T07:00:00Z", "Phoenix, AZ"),
        ("delivered", "2026-11-25T15:30:00Z", "Phoenix, AZ"),
    ]
    for status, when, where in scans:
        response = api.post(
            f"/v1/packages/{east_pkg}/tracking",
            {"status": status, "occurred_at": when, "location": where},
        )
        assert response.status_code == 200, response.content
    east = api.get(f"/v1/packages/{east_pkg}").json()
    assert east["status"] == "delivered"
    assert [e["status"] for e in east["tracking_events"]] == [s for s, _, _ in scans]
    late_void = api.post(f"/v1/packages/{east_pkg}/void")
    assert (late_void.status_code, error_of(late_void)["code"]) == (409, "package_not_shipped")
    assert api.get(f"/v1/orders/{order}").json()["status"] == "shipped"
    api.post(
        f"/v1/packages/{west_pkg}/tracking",
        {"status": "delivered", "occurred_at": "2026-11-26T10:00:00Z"},
    )
    assert api.get(f"/v1/orders/{order}").json()["status"] == "delivered"
    history = [e["type"] for e in api.get(f"/v1/orders/{order}/events").json()["data"]]
    assert history == ["created", "allocated", "partially_shipped", "shipped", "delivered"]
    counts = {
        t: Event.objects.filter(type=t).count()
        for t in (
            "order.created",
            "order.allocated",
            "package.created",
            "package.shipped",
            "order.shipped",
            "package.delivered",
            "order.delivered",
        )
    }
    assert counts == {
        "order.created": 1,
        "order.allocated": 1,
        "package.created": 2,
        "package.shipped": 2,
        "order.shipped": 1,
        "package.delivered": 2,
        "order.delivered": 1,
    }
    pending = api.post(
        f"/v1/packages/{east_pkg}/tracking",
        {"status": "bogus", "occurred_at": "2026-11-26T10:00:00Z"},
    )
    assert (pending.status_code, error_of(pending)["field"]) == (400, "status")


def test_admin_prints_the_labels_of_selected_packages(client, api, two_packages):
    from django.contrib.auth.models import User

    _, east_pkg, west_pkg = two_packages
    api.post(f"/v1/packages/{east_pkg}/ship")
    api.post(f"/v1/packages/{west_pkg}/ship")
    client.force_login(User.objects.create_superuser("root", password="pw"))
    ids = list(Package.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/orders/package/", {"action": "print_labels", "_selected_action": ids}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    tracking = set(Package.objects.values_list("tracking_number", flat=True))
    assert {next(t for t in tracking if t in page.extract_text()) for page in reader.pages} == (
        tracking
    )
    detail = client.get(f"/admin/orders/package/{ids[0]}/change/")
    assert detail.status_code == 200


def test_review_edge_cases(api, two_packages):
    order, east_pkg, west_pkg = two_packages
    for bad in ("AB_12^3~4", "TRK\u00e9\u2713", "X" * 41, "ab"):
        response = api.post(
            f"/v1/packages/{east_pkg}/ship", {"carrier": "manual", "tracking_number": bad}
        )
        assert (response.status_code, error_of(response)["field"]) == (400, "tracking_number")
    api.post(f"/v1/packages/{east_pkg}/ship", {"tracking_number": "LONG-" + "9" * 35})
    zpl = api.get(f"/v1/packages/{east_pkg}/label", {"format": "zpl"}).content.decode()
    by = int(zpl.split("^BY")[1].split("^")[0])
    assert by >= 1  # the module width was chosen to fit the 4 inch label
    # printers and browsers ask for the document type itself
    pdf = api.get(f"/v1/packages/{east_pkg}/label", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    slip = api.get(f"/v1/orders/{order}/packing_slip", HTTP_ACCEPT="application/pdf")
    assert slip.status_code == 200
    missing = api.get(f"/v1/packages/{west_pkg}/label", HTTP_ACCEPT="application/pdf")
    assert (missing.status_code, error_of(missing)["code"]) == (404, "label_not_found")


def test_cancelling_the_rest_after_delivery_delivers_the_order(api, stock, account):
    account.auto_allocate = False
    account.save()
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET-BLU"), wh, 5)
    stock.product("GADGET-RED")
    data = order_body()
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    (package,) = api.get("/v1/packages").json()["data"]
    api.post(f"/v1/packages/{package['id']}/ship")
    api.post(
        f"/v1/packages/{package['id']}/tracking",
        {"status": "delivered", "occurred_at": "2026-11-25T10:00:00Z"},
    )
    assert api.get(f"/v1/orders/{order}").json()["status"] == "partially_shipped"
    api.post(f"/v1/orders/{order}/cancel", {"items": [{"sku": "GADGET-RED", "quantity": 1}]})
    assert api.get(f"/v1/orders/{order}").json()["status"] == "delivered"
    assert Event.objects.filter(type="order.delivered").count() == 1


def test_shipping_by_spec_announces_the_new_package(api, two_packages):
    order, east_pkg, _ = two_packages
    east = Package.objects.get(public_id=east_pkg).warehouse
    response = api.post(
        f"/v1/orders/{order}/ship",
        {
            "packages": [
                {"warehouse_id": east.public_id, "lines": [{"sku": "WIDGET-BLU", "quantity": 1}]}
            ]
        },
    )
    assert response.status_code == 200, response.content
    announced = {e.data["id"] for e in Event.objects.filter(type="package.created")}
    shipped = {e.data["id"] for e in Event.objects.filter(type="package.shipped")}
    assert shipped <= announced
