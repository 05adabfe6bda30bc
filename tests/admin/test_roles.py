"""Roles in the admin: what a viewer, an operator and a manager of an account may do there, and
that a role in one account gives nothing in another."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from oauth2_provider.models import AccessToken

from orders.models import Order
from tests.factories import order_body, staff
from tests.helpers import issue_token
from vectis.accounts import roles
from vectis.accounts.models import ApiClient, Membership
from warehouses.models import Warehouse
from webhooks.models import Delivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def order_of(api, stock, external_id="SHOP-1", quantity=1, receive=5):
    wh = stock.warehouse()
    for sku in ("WIDGET-BLU", "GADGET-RED"):
        product = stock.product(sku)
        if receive:
            stock.receive(product, wh, receive)
    data = order_body(external_id, items=[{"sku": "WIDGET-BLU", "quantity": quantity}])
    return Order.objects.get(public_id=api.post("/v1/orders", data).json()["id"])


def act(client, action, objects, url="/admin/orders/order/"):
    return client.post(
        url, {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def manual(account):
    account.auto_allocate = False
    account.save()
    return account


# --- the permission sets ------------------------------------------------------------------------
def test_each_role_includes_the_one_below_and_names_real_permissions():
    assert (
        roles.PERMISSIONS["viewer"] < roles.PERMISSIONS["operator"] < roles.PERMISSIONS["manager"]
    )
    assert "orders.view_order" in roles.PERMISSIONS["viewer"]
    assert "orders.allocate_order" not in roles.PERMISSIONS["viewer"]
    assert "orders.cancel_order" not in roles.PERMISSIONS["operator"]
    assert "orders.cancel_order" in roles.PERMISSIONS["manager"]
    # every view_* names a model that exists
    for perm in roles.VIEWER_PERMISSIONS:
        app_label, codename = perm.split(".")
        apps.get_model(app_label, codename.removeprefix("view_"))


def test_the_role_in_the_objects_account_decides(account, other_account):
    user = User.objects.create_user("mixed", is_staff=True)
    Membership.objects.create(user=user, account=account, role="viewer")
    Membership.objects.create(user=user, account=other_account, role="manager")
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("orders.cancel_order")  # somewhere: in other_account
    assert user.has_perm("orders.cancel_order", other_account)
    assert not user.has_perm("orders.cancel_order", account)
    assert user.has_perm("orders.view_order", account)
    assert not user.has_perm("orders.view_order", object())  # no account: nothing
    user.is_active = False
    assert not user.has_perm("orders.view_order", account)


def test_old_roles_become_operator_and_manager():
    migration = importlib.import_module("vectis.accounts.migrations.0002_membership_roles")
    from tests.helpers import make_account

    a, b = make_account("OldA"), make_account("OldB")
    user = User.objects.create_user("old", is_staff=True)
    Membership.objects.create(user=user, account=a, role="staff")
    Membership.objects.create(user=user, account=b, role="admin")
    migration.forwards(apps, None)
    assert dict(Membership.objects.values_list("account__name", "role")) == {
        "OldA": "operator",
        "OldB": "manager",
    }


OPERATE = {"allocate_selected", "hold_selected", "release_selected"}


# --- orders -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "role, allowed",
    [
        ("viewer", set()),
        ("operator", {"print_packing_slips", "print_pick_list", *OPERATE}),
        ("manager", {"print_packing_slips", "print_pick_list", *OPERATE, "cancel_selected"}),
    ],
)
def test_order_actions_offered_per_role(client, api, stock, manual, role, allowed):
    staff(client, {manual: role}, f"u-{role}")
    order = order_of(api, stock)
    page = client.get("/admin/orders/order/")
    assert page.status_code == 200
    form = page.context["action_form"]  # None when no action is offered
    offered = {value for value, _ in form.fields["action"].choices} - {""} if form else set()
    assert offered == allowed
    # a forged POST of an action the role lacks changes nothing
    for action in {"allocate_selected", "cancel_selected"} - set(allowed):
        act(client, action, [order])
        order.refresh_from_db()
        assert order.status == "pending"


def test_a_manager_elsewhere_cannot_cancel_here(client, api, stock, manual, other_account):
    from tests.helpers import Api

    staff(client, {manual: "viewer", other_account: "manager"}, "mixed")
    mine = order_of(api, stock)
    other_account.auto_allocate = False
    other_account.save()
    theirs_data = order_body(items=[{"sku": "GADGET-RED", "quantity": 1}])
    from catalog.models import Product

    Product.objects.create(account=other_account, sku="GADGET-RED", name="Gadget")
    theirs = Order.objects.get(
        public_id=Api(other_account).post("/v1/orders", theirs_data).json()["id"]
    )
    response = act(client, "cancel_selected", [mine, theirs])
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("pending", "cancelled")
    text = " ".join(messages_of(response))
    assert f"left unchanged: {mine.public_id}" in text
    assert f"{theirs.public_id}: cancelled." in text


def test_allocation_says_what_is_missing(client, api, stock, manual):
    staff(client, {manual: "operator"}, "op")
    from catalog.models import Product

    order = order_of(api, stock, quantity=3, receive=0)
    widget = Product.objects.get(account=manual, sku="WIDGET-BLU")
    stock.receive(widget, Warehouse.objects.get(account=manual, code="MAIN"), 1)
    response = act(client, "allocate_selected", [order])
    order.refresh_from_db()
    assert order.status == "partially_allocated"
    assert messages_of(response) == [
        f"{order.public_id}: partially_allocated: WIDGET-BLU needs 3, 1 available."
    ]
    levels = [m.level_tag for m in response.context["messages"]]
    assert levels == ["warning"]


def test_allocation_in_stock_says_allocated(client, api, stock, manual):
    staff(client, {manual: "operator"}, "op")
    order = order_of(api, stock)
    response = act(client, "allocate_selected", [order])
    assert messages_of(response) == [f"{order.public_id}: allocated."]
    order.refresh_from_db()
    assert order.status == "allocated"
    assert order.events.last().actor == "user:op"


def test_hold_and_release(client, api, stock, manual):
    staff(client, {manual: "operator"}, "op")
    order = order_of(api, stock)
    act(client, "hold_selected", [order])
    order.refresh_from_db()
    assert order.status == "on_hold"
    response = act(client, "release_selected", [order])
    order.refresh_from_db()
    assert order.status == "pending"
    assert messages_of(response) == [f"{order.public_id}: released, now pending."]


# --- stock, returns -----------------------------------------------------------------------------
@pytest.mark.parametrize("role, code", [("viewer", 403), ("operator", 200), ("manager", 200)])
def test_moving_stock_is_operator_work(client, account, role, code):
    staff(client, {account: role}, f"u-{role}")
    assert client.get("/admin/inventory/stocklevel/adjust/").status_code == code
    assert client.get("/admin/inventory/stocklevel/transfer/").status_code == code


# --- API clients --------------------------------------------------------------------------------
@pytest.mark.parametrize("role, code", [("viewer", 403), ("operator", 403), ("manager", 200)])
def test_api_clients_are_a_managers(client, account, role, code):
    staff(client, {account: role}, f"u-{role}")
    assert client.get("/admin/accounts/apiclient/add/").status_code == code


def test_create_an_api_client_secret_shown_once_and_scopes_only_real_ones(client, account):
    staff(client, {account: "manager"}, "boss")
    refused = client.post(
        "/admin/accounts/apiclient/add/",
        {"account": account.pk, "name": "shop", "scopes": ["orders:read", "superuser:everything"]},
    )
    assert refused.status_code == 200
    assert "superuser:everything is not one of the available choices" in refused.content.decode()
    assert not ApiClient.objects.exists()

    created = client.post(
        "/admin/accounts/apiclient/add/",
        {"account": account.pk, "name": "shop", "scopes": ["orders:read", "orders:write"]},
    )
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    secret = created.context["secret"]
    api_client = ApiClient.objects.get()
    assert api_client.scopes == "orders:read orders:write"
    assert secret in created.content.decode()
    assert api_client.application.client_secret != secret  # stored hashed
    token = client.post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": api_client.client_id,
            "client_secret": secret,
        },
    )
    assert token.status_code == 200, token.content
    detail = client.get(f"/admin/accounts/apiclient/{api_client.pk}/change/").content.decode()
    assert secret not in detail


def test_edit_rotate_and_revoke(client, account):
    from vectis.accounts import services

    staff(client, {account: "manager"}, "boss")
    issued = services.api_client_create(account=account, name="erp", scopes=["orders:read"])
    api_client = issued.client
    issue_token(api_client)
    assert AccessToken.objects.count() == 1

    url = f"/admin/accounts/apiclient/{api_client.pk}/change/"
    bad = client.post(url, {"name": "erp", "scopes": ["superuser:everything"]})
    assert bad.status_code == 200 and "not one of the available choices" in bad.content.decode()
    client.post(url, {"name": "erp", "scopes": ["orders:read", "inventory:read"]})
    api_client.refresh_from_db()
    assert api_client.scopes == "orders:read inventory:read"
    assert AccessToken.objects.count() == 0  # scopes changed: its tokens were revoked

    rotated = client.post(f"/admin/accounts/apiclient/{api_client.pk}/rotate/")
    assert rotated.status_code == 200
    assert rotated.context["secret"] != issued.client_secret
    assert client.get(f"/admin/accounts/apiclient/{api_client.pk}/rotate/").status_code == 403

    issue_token(api_client)
    act(client, "revoke_selected", [api_client], url="/admin/accounts/apiclient/")
    api_client.refresh_from_db()
    assert not api_client.active
    assert AccessToken.objects.count() == 0


def test_an_operator_cannot_edit_an_api_client(client, account):
    from vectis.accounts import services

    staff(client, {account: "operator"}, "op")
    api_client = services.api_client_create(account=account, name="erp", scopes=["orders:read"])
    url = f"/admin/accounts/apiclient/{api_client.client.pk}/change/"
    assert client.get(url).status_code == 200  # may look
    client.post(url, {"name": "renamed", "scopes": ["orders:read", "orders:write"]})
    assert ApiClient.objects.get().name == "erp"
    assert (
        client.post(f"/admin/accounts/apiclient/{api_client.client.pk}/rotate/").status_code == 403
    )


# --- members ------------------------------------------------------------------------------------
def test_a_manager_adds_members_to_their_own_accounts_only(client, account, other_account):
    staff(client, {account: "manager", other_account: "operator"}, "boss")
    User.objects.create_user("newbie", is_staff=True)
    User.objects.create_user("customer", is_staff=False)
    page = client.get("/admin/accounts/membership/add/")
    choices = [c for c, _ in page.context["adminform"].form.fields["account"].choices if c]
    assert [int(str(c)) for c in choices] == [account.pk]
    refused = client.post(
        "/admin/accounts/membership/add/",
        {"username": "newbie", "account": other_account.pk, "role": "manager"},
    )
    assert refused.status_code == 200
    not_staff = client.post(
        "/admin/accounts/membership/add/",
        {"username": "customer", "account": account.pk, "role": "viewer"},
    )
    errors = not_staff.context["adminform"].form.errors
    assert errors["username"] == ["No staff user is named 'customer'."]
    added = client.post(
        "/admin/accounts/membership/add/",
        {"username": "newbie", "account": account.pk, "role": "operator"},
    )
    assert added.status_code == 302
    assert Membership.objects.get(user__username="newbie").role == "operator"
    assert not Membership.objects.filter(user__username="newbie", account=other_account).exists()


def test_an_operator_cannot_manage_members(client, account):
    staff(client, {account: "operator"}, "op")
    assert client.get("/admin/accounts/membership/add/").status_code == 403


# --- webhooks -----------------------------------------------------------------------------------
def test_the_delivery_log_cannot_be_deleted(client, account):
    from webhooks import services as webhooks

    staff(client, {account: "manager"}, "boss")
    endpoint = WebhookEndpoint.objects.create(
        account=account, url="https://example.test/hook", events=["order.created"], secret="s"
    )
    event = webhooks.emit(account, "order.created", {"id": "ord_1"})
    delivery = Delivery.objects.create(
        account=account, endpoint=endpoint, event=event, event_type="order.created"
    )
    page = client.get("/admin/webhooks/delivery/")
    assert page.status_code == 200
    offered = {v for v, _ in page.context["action_form"].fields["action"].choices}
    assert offered == {"", "redeliver_selected"}  # no delete
    act(client, "delete_selected", [delivery], url="/admin/webhooks/delivery/")
    assert Delivery.objects.filter(pk=delivery.pk).exists()
    assert client.get(f"/admin/webhooks/delivery/{delivery.pk}/delete/").status_code == 403


def test_a_manager_cancels_some_units_of_a_line(client, api, stock, manual):
    staff(client, {manual: "manager"}, "boss")
    order = order_of(api, stock, quantity=3)
    line = order.lines.get()
    url = f"/admin/orders/order/{order.pk}/cancel/"
    too_many = client.post(url, {"reason": "customer asked", f"line_{line.pk}": 4})
    assert too_many.status_code == 200 and not too_many.context["form"].is_valid()
    response = client.post(url, {"reason": "customer asked", f"line_{line.pk}": 1}, follow=True)
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.quantity_cancelled == 1 and order.status == "pending"
    assert messages_of(response) == [f"{order.public_id}: cancelled 1 x WIDGET-BLU; now pending."]
    assert order.events.order_by("id").last().actor == "user:boss"


def test_an_operator_cannot_open_the_cancel_form(client, api, stock, manual):
    staff(client, {manual: "operator"}, "op")
    order = order_of(api, stock)
    assert client.get(f"/admin/orders/order/{order.pk}/cancel/").status_code == 403


ACTIONS = {
    # list: {role: the actions offered there}
    "/admin/orders/package/": {
        "viewer": set(),
        "operator": {"ship_and_print", "print_labels", "print_packing_slips", "void_selected",
                     "mark_delivered"},
    },
    "/admin/inventory/reservation/": {"viewer": set(), "operator": {"release_selected"}},
    "/admin/accounts/apiclient/": {"operator": set(), "manager": {"revoke_selected"}},
    "/admin/webhooks/delivery/": {"operator": set(), "manager": {"redeliver_selected"}},
    "/admin/inventory/stockmovement/": {"manager": set()},  # the ledger: read only
    "/admin/webhooks/event/": {"manager": set()},
}  # fmt: skip


@pytest.mark.parametrize(
    "url, role, offered",
    [(url, role, offered) for url, by_role in ACTIONS.items() for role, offered in by_role.items()],
)
def test_actions_offered_per_role_in_every_list(client, account, url, role, offered):
    staff(client, {account: role}, f"u-{role}")
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["action_form"]
    got = {value for value, _ in form.fields["action"].choices} - {""} if form else set()
    assert got == offered
