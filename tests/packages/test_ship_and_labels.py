import copy
import io

import pytest
from PIL import Image
from pypdf import PdfReader

from inventory.models import Reservation, StockLevel, StockMovement
from inventory.selectors import verify_ledger
from orders.models import Package
from tests.helpers import error_of
from tests.orders.conftest import REFERENCE_ORDER
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
    data = copy.deepcopy(REFERENCE_ORDER)
    data["items"] = [{"sku": "WIDGET-BLU", "quantity": 3}, {"sku": "GADGET-RED", "quantity": 2}]
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
    assert f"^BCN,180,Y,N,N^FD{tracking}^FS" in body

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
