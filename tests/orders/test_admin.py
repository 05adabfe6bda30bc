import pytest
from django.contrib.auth.models import User

from orders.models import Order
from tests.factories import order_body


@pytest.fixture
def root(client, db):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


def test_admin_lists_shows_and_acts_through_the_services(root, api, stock, account):
    account.auto_allocate = False
    account.save()
    wh = stock.warehouse()
    stock.receive(stock.product("WIDGET-BLU"), wh, 5)
    stock.receive(stock.product("GADGET-RED"), wh, 5)
    order_id = api.post("/v1/orders", order_body()).json()["id"]
    order = Order.objects.get(public_id=order_id)

    listing = root.get("/admin/orders/order/?q=SHOP-12345").content.decode()
    assert order_id in listing
    detail = root.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "WIDGET-BLU" in detail and "created" in detail

    for action, status in (
        ("allocate_selected", "allocated"),
        ("hold_selected", "on_hold"),
        ("cancel_selected", "cancelled"),
    ):
        response = root.post(
            "/admin/orders/order/", {"action": action, "_selected_action": [order.pk]}
        )
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.status == status
    events = list(order.events.values_list("type", "actor"))
    assert events[-1] == ("cancelled", "user:root")
    # a refused action reports the reason instead of failing
    response = root.post(
        "/admin/orders/order/",
        {"action": "hold_selected", "_selected_action": [order.pk]},
        follow=True,
    )
    assert "cannot be put on hold" in response.content.decode()
