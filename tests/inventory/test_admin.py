import pytest
from django.contrib.auth.models import User

from catalog.models import Product
from inventory.models import Reservation, StockLevel, StockMovement
from inventory.services import ReserveLine, reserve
from vectis.accounts.models import Membership


@pytest.fixture
def root(client, db):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


def autocomplete(client, term) -> list[dict]:
    """What the adjust form's product field offers for `term`."""
    params = {"app_label": "inventory", "model_name": "stocklevel", "field_name": "product"}
    response = client.get("/admin/autocomplete/", {**params, "term": term})
    assert response.status_code == 200
    return response.json()["results"]


def test_admin_adjust_form_calls_the_service(root, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    location = stock.default(wh)
    page = root.get("/admin/inventory/stocklevel/adjust/")
    assert page.status_code == 200
    # the product is picked by typing (the autocomplete), no longer from a list of every SKU
    assert "admin-autocomplete" in page.content.decode()
    assert [r["text"] for r in autocomplete(root, "WID")] == [str(widget)]
    response = root.post(
        "/admin/inventory/stocklevel/adjust/",
        {"product": widget.pk, "location": location.pk, "quantity": 5, "reason": "received"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    movement = StockMovement.objects.get()
    assert (movement.quantity, movement.actor, movement.reason) == (5, "user:root", "received")
    listing = root.get("/admin/inventory/stocklevel/").content.decode()
    assert "Adjust stock" in listing and "WIDGET" in listing


def test_admin_adjust_refusals_show_on_the_form_and_change_nothing(root, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 3)
    location = stock.default(wh)
    for body, message in [
        ({"quantity": -4}, "cannot remove 4"),
        ({"set_on_hand": 1, "expected_on_hand": 2}, "not the expected 2"),
        ({"quantity": 1, "set_on_hand": 1}, "exactly one of quantity or set on hand"),
    ]:
        response = root.post(
            "/admin/inventory/stocklevel/adjust/",
            {"product": widget.pk, "location": location.pk, "reason": "lost", **body},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert StockLevel.objects.get().on_hand == 3
    assert StockMovement.objects.count() == 1


def test_admin_transfer_form(root, stock):
    wh = stock.warehouse()
    shelf = stock.location(wh, "SHELF")
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 4)
    response = root.post(
        "/admin/inventory/stocklevel/transfer/",
        {
            "product": widget.pk,
            "from_location": stock.default(wh).pk,
            "to_location": shelf.pk,
            "quantity": 3,
        },
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(location=shelf).on_hand == 3
    refused = root.post(
        "/admin/inventory/stocklevel/transfer/",
        {
            "product": widget.pk,
            "from_location": stock.default(wh).pk,
            "to_location": shelf.pk,
            "quantity": 3,
        },
    )
    assert "Only 1 units" in refused.content.decode()


def test_staff_see_only_their_accounts_and_need_permission_to_move_stock(
    client, stock, other_stock
):
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    membership = Membership.objects.create(user=user, account=stock.account, role="viewer")
    stock.receive(stock.product("MINE-1"), stock.warehouse(), 1)
    other_stock.receive(other_stock.product("THEIRS-1"), other_stock.warehouse(), 1)
    client.force_login(user)
    listing = client.get("/admin/inventory/stocklevel/").content.decode()
    assert "MINE-1" in listing and "THEIRS-1" not in listing
    # the account and warehouse filters offer only what the user may see
    assert other_stock.account.name not in listing
    assert "Adjust stock" not in listing
    assert client.get("/admin/inventory/stocklevel/adjust/").status_code == 403
    membership.role = "operator"  # moving stock is an operator's work
    membership.save()
    form = client.get("/admin/inventory/stocklevel/adjust/").content.decode()
    assert "admin-autocomplete" in form
    assert [r["text"] for r in autocomplete(client, "1")] == [
        str(Product.objects.get(sku="MINE-1"))
    ]


def test_admin_release_action(root, stock):
    wh = stock.warehouse()
    widget = stock.product("WIDGET")
    stock.receive(widget, wh, 5)
    reserve(account_id=stock.account.pk, lines=[ReserveLine(widget, 2)], reference="r")
    rsv = Reservation.objects.get()
    response = root.post(
        "/admin/inventory/reservation/",
        {"action": "release_selected", "_selected_action": [rsv.pk]},
    )
    assert response.status_code == 302
    rsv.refresh_from_db()
    assert rsv.status == "released"
    assert StockLevel.objects.get().reserved == 0
