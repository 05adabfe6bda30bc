"""An order's page shows its address as an address and money in the order's currency."""

import pytest
from django.contrib.auth.models import User

from orders.models import Order
from tests.factories import order_body
from tests.helpers import Api
from vectis.accounts.models import Membership

pytestmark = pytest.mark.django_db


def test_address_and_money(client, account, stock):
    for sku in ("WIDGET-BLU", "GADGET-RED"):
        stock.product(sku)
    data = order_body()
    data["currency"] = "EUR"
    data["ship_to"]["phone"] = "+1 555 0100"
    public_id = Api(account).post("/v1/orders", data).json()["id"]
    order = Order.objects.get(public_id=public_id)
    user = User.objects.create_user("v", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="viewer")
    client.force_login(user)
    html = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "John Doe<br>123 Main St<br>Phoenix, AZ 85001<br>US<br>+1 555 0100" in html
    assert '"address1"' not in html  # not the JSON
    assert "109.97 EUR" in html  # total: 2 x 29.99 + 49.99
    assert "29.99 EUR" in html and "29.9900" not in html
    listing = client.get("/admin/orders/order/").content.decode()
    assert "109.97 EUR" in listing
