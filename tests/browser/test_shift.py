"""A shift in the back-office, in a real browser (Playwright driving Debian's Chromium headless):
an operator of account A reads the dashboard, finds an order, allocates it, prints its pick
list, packs it by scanning, ships it and gets the label, adjusts stock, receives a return; a
viewer is offered nothing and a forged POST changes nothing; account B's order is a 404.

Full-page screenshots of each screen, 1366 px wide, go to test-artifacts/browser/.
"""

import io
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils.text import capfirst
from pypdf import PdfReader

from inventory.models import StockLevel, StockMovement
from orders.models import Order, Package
from returns.models import Return
from tests.factories import Stock, order_body
from tests.helpers import Api
from vectis.accounts.models import Membership
from warehouses.models import Location

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("VECTIS_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
WIDTH = 1366
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # plain synchronous ones between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def floor(db, account, other_account):
    """Account A: stock in bins, one pending order to work, a shipped order with an authorized
    return; account B: an order of its own."""
    account.auto_allocate = False
    account.save()
    stock = Stock(account)
    main = stock.warehouse("MAIN")
    tee = stock.product("TEE-BLK-M", name="T-shirt black M", barcode="0012345678905")
    mug = stock.product("MUG-WHT", name="Mug white")
    stock.receive(tee, stock.location(main, "B-02"), 20)
    stock.receive(mug, stock.location(main, "A-01"), 20)
    api = Api(account)

    def order(external_id, items):
        data = order_body(external_id, items=[{"sku": s, "quantity": q} for s, q in items])
        response = api.post("/v1/orders", data)
        assert response.status_code == 201, response.content
        return Order.objects.get(public_id=response.json()["id"])

    work = order("SHOP-7001", [("TEE-BLK-M", 2), ("MUG-WHT", 1)])
    done = order("SHOP-6000", [("TEE-BLK-M", 2)])
    assert api.post(f"/v1/orders/{done.public_id}/allocate").status_code == 200
    assert api.post(f"/v1/orders/{done.public_id}/ship").status_code == 200
    ret = api.post(
        "/v1/returns",
        {
            "order_id": done.public_id,
            "lines": [{"sku": "TEE-BLK-M", "quantity": 2, "reason": "defective"}],
        },
    )
    assert ret.status_code == 201, ret.content
    ret = ret.json()
    assert api.post(f"/v1/returns/{ret['id']}/authorize").status_code == 200

    other = Stock(other_account)
    other.receive(other.product("TEE-BLK-M"), other.warehouse("BMAIN"), 5)
    other_data = order_body(items=[{"sku": "TEE-BLK-M", "quantity": 1}])
    theirs = Api(other_account).post("/v1/orders", other_data).json()["id"]

    users = {}
    for role in ("operator", "viewer"):
        user = User.objects.create_user(f"{role}-a", password=PASSWORD, is_staff=True)
        Membership.objects.create(user=user, account=account, role=role)
        users[role] = user
    return {
        "work": work,
        "return": Return.objects.get(public_id=ret["id"]),
        "theirs": Order.objects.get(public_id=theirs),
        "users": users,
    }


class Shift:
    """One staff user's browser session."""

    def __init__(self, browser, base_url, name):
        self.context = browser.new_context(viewport={"width": WIDTH, "height": 900})
        self.page = self.context.new_page()
        self.base = base_url
        self.name = name
        SHOTS.mkdir(parents=True, exist_ok=True)

    def go(self, path):
        response = self.page.goto(self.base + path)
        return response

    def shot(self, step):
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{step}.png"), full_page=True)

    def login(self, username):
        self.go("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.click("input[type=submit]")
        assert re.search(r"/admin/$", self.page.url), self.page.url

    def messages(self) -> list[str]:
        """The page's messages, as shown: the admin capitalises their first letter."""
        shown = self.page.locator("ul.messagelist li").all_text_contents()
        return [m.strip() for m in shown]

    def pdf(self, url) -> str:
        response = self.context.request.get(url if url.startswith("http") else self.base + url)
        assert response.status == 200, url
        assert response.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.body()))
        return "\n".join(page.extract_text() for page in reader.pages)

    def act(self, action):
        self.page.select_option("select[name=action]", action)
        self.click("button[name=index]")

    def click(self, selector):
        """Click what submits a form or follows a link, and wait for the next page."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def enter(self, selector, text):
        """Type into a field and press Enter (a barcode scanner does the same)."""
        self.page.fill(selector, text)
        with self.page.expect_navigation():
            self.page.press(selector, "Enter")

    def close(self):
        self.context.close()


def figure(page, label) -> int:
    return int(page.locator(f'.dash a[data-figure="{label}"] .n').inner_text())


def test_an_operators_shift(browser, live_server, floor, account):
    work = floor["work"]
    shift = Shift(browser, live_server.url, "operator")
    try:
        shift.login("operator-a")
        page = shift.page
        # the dashboard's counts are the database's
        mine = Order.objects.filter(account=account)
        assert figure(page, "orders to allocate") == mine.filter(status="pending").count() == 1
        row = page.locator('tr[data-warehouse="MAIN"]')
        to_receive = row.locator('a[data-figure="returns to receive"]').inner_text()
        authorized = Return.objects.filter(account=account, status="authorized").count()
        assert int(to_receive) == authorized == 1
        shift.shot("01-dashboard")

        # find the order by its external id, allocate it
        shift.go("/admin/orders/order/")
        shift.enter("#searchbar", "SHOP-7001")
        assert page.locator("#result_list tbody tr").count() == 1
        shift.shot("02-orders-found")
        page.check("input[name=_selected_action]")
        shift.act("allocate_selected")
        assert shift.messages() == [capfirst(f"{work.public_id}: allocated.")]
        work.refresh_from_db()
        assert work.status == "allocated"
        shift.shot("03-allocated")

        # its pick list, bin by bin
        shift.click(f"#result_list a:text-is('{work.public_id}')")
        href = page.get_attribute("a:text-is('Pick list (PDF)')", "href")
        text = shift.pdf(href)
        assert text.index("A-01") < text.index("MUG-WHT") < text.index("B-02") < text.index("TEE")
        shift.shot("04-order")
        shift.click("a:text-is('Pick list')")
        shift.shot("05-pick-list")

        # pack it by scanning; a wrong item is refused
        package = work.packages.get()
        shift.go(f"/admin/orders/package/{package.pk}/pack/")
        assert page.is_disabled("#ship-button")
        shift.enter("#scan-code", "SOCK-RED")
        assert shift.messages() == ["SOCK-RED is not in this package: put it back."]
        shift.shot("06-pack-wrong-scan")
        for code in ("0012345678905", "TEE-BLK-M", "MUG-WHT"):
            shift.enter("#scan-code", code)
        assert page.is_enabled("#ship-button")
        page.fill("#id_weight", "0.8")
        shift.shot("07-pack-complete")
        with shift.context.expect_page() as label_page:  # the label opens for printing
            shift.click("#ship-button")
        label_page.value.close()
        package.refresh_from_db()
        assert package.status == Package.SHIPPED and package.tracking_number
        assert page.inner_text("#tracking-number") == package.tracking_number
        shift.shot("08-shipped")
        assert package.tracking_number in shift.pdf(page.get_attribute("#label-link", "href"))

        # adjust stock with a reason; the movement shows in the ledger
        shift.go("/admin/inventory/stocklevel/adjust/")
        page.fill("#id_scan", "0012345678905")  # the barcode: "Look up stock" shows its bins
        shift.click("#lookup")
        bin_b02 = Location.objects.get(warehouse__account=account, code="B-02")
        level = StockLevel.objects.get(location=bin_b02)
        current = page.locator("#current-stock tbody tr").all_inner_texts()
        expected = ["MAIN/B-02", str(level.on_hand), str(level.reserved), str(level.available)]
        assert [c.split("\t") for c in current] == [expected]
        assert level.on_hand == 20 - 2 - 2  # received, less the two shipped orders
        page.select_option("#id_location", value=str(bin_b02.pk))
        page.fill("#id_quantity", "-1")
        page.select_option("#id_reason", "damaged")
        shift.shot("09-adjust")
        shift.click("input[type=submit]")
        assert any("TEE-BLK-M" in m and "-1" in m for m in shift.messages())
        movement = StockMovement.objects.filter(account=account, reason="damaged").get()
        assert movement.actor == "user:operator-a"
        shift.go("/admin/inventory/stockmovement/?reason__exact=damaged")
        rows = page.locator("#result_list tbody tr").all_inner_texts()
        assert len(rows) == 1 and "TEE-BLK-M" in rows[0] and "-1" in rows[0]
        assert "damaged" in rows[0] and "user:operator-a" in rows[0]
        shift.shot("10-ledger")

        # receive the return: 1 restock and 1 scrap in one submission
        ret = floor["return"]
        shift.go(f"/admin/returns/return/{ret.pk}/receive/")
        page.fill("#id_form-0-restock", "1")
        page.fill("#id_form-0-scrap", "1")
        page.select_option("#id_form-0-condition", "damaged")
        shift.shot("11-receive")
        shift.click("input[type=submit]")
        ret.refresh_from_db()
        assert ret.status == "received"
        said = f"{ret.rma_number}: received 1 restock, 1 scrap; now received."
        assert shift.messages() == [capfirst(said)]
        assert "scrap" in page.inner_text("table.receipts")
        shift.shot("12-return-received")

        # at 1366 px the columns that matter are on screen, not scrolled out of the list
        for path, headers, step in (
            ("/admin/orders/package/", ("status", "tracking number", "packing"), "13-packages"),
            ("/admin/returns/return/", ("status", "next"), "14-returns"),
            ("/admin/inventory/stockmovement/", ("quantity", "reason"), "15-ledger"),
        ):
            shift.go(path)
            shift.shot(step)
            visible = page.locator("#changelist .results").bounding_box()
            right = min(WIDTH, visible["x"] + visible["width"])
            for header in headers:
                th = page.locator(f"#result_list thead th:has-text('{header}')").first
                box = th.bounding_box()
                assert box and box["x"] + box["width"] <= right, (path, header, box, right)
    finally:
        shift.close()


def test_a_viewer_is_offered_nothing_and_a_forged_post_changes_nothing(browser, live_server, floor):
    work = floor["work"]
    shift = Shift(browser, live_server.url, "viewer")
    try:
        shift.login("viewer-a")
        page = shift.page
        shift.go("/admin/orders/order/")
        assert page.locator("select[name=action]").count() == 0
        assert page.locator("#result_list").count() == 1
        shift.shot("01-orders")
        shift.go(f"/admin/orders/order/{work.pk}/change/")
        assert page.locator("a:text-is('Pick list (PDF)')").count() == 0  # not offered,
        assert page.locator("a:text-is('Cancel…')").count() == 0
        assert (  # nor served
            shift.context.request.get(
                f"{live_server.url}/admin/orders/order/{work.pk}/pick-list/"
            ).status
            == 403
        )
        shift.shot("02-order")
        csrf = next(c["value"] for c in shift.context.cookies() if c["name"] == "csrftoken")
        forged = shift.context.request.post(
            f"{live_server.url}/admin/orders/order/",
            form={
                "csrfmiddlewaretoken": csrf,
                "action": "cancel_selected",
                "_selected_action": str(work.pk),
            },
            headers={"Referer": f"{live_server.url}/admin/orders/order/"},
        )
        assert forged.status in (200, 302)
        work.refresh_from_db()
        assert work.status == "pending"
        assert shift.go("/admin/inventory/stocklevel/adjust/").status == 403
    finally:
        shift.close()


def test_another_accounts_order_is_a_404(browser, live_server, floor):
    shift = Shift(browser, live_server.url, "tenancy")
    try:
        shift.login("operator-a")
        theirs = floor["theirs"]
        assert shift.go(f"/admin/orders/order/{theirs.pk}/change/").status == 404
        assert shift.go(f"/admin/orders/package/{theirs.pk}/pack/").status == 404
        shift.go(f"/admin/orders/order/?q={theirs.external_id}")
        assert theirs.public_id not in shift.page.content()
    finally:
        shift.close()
