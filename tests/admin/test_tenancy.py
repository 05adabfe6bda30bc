"""Every admin list is limited to the user's accounts, and so is every autocomplete."""

import copy

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from tests.helpers import Api
from tests.inventory.conftest import Stock
from tests.orders.conftest import REFERENCE_ORDER
from vectis.accounts.admin_scoping import AccountScopedAdmin
from vectis.accounts.models import Account, Membership

pytestmark = pytest.mark.django_db


def populate(account, prefix):
    account.auto_allocate = False
    account.save()
    stock = Stock(account)
    main = stock.warehouse(f"{prefix}MAIN")
    stock.receive(stock.product(f"{prefix}-TEE"), main, 10)
    api = Api(account)
    data = copy.deepcopy(REFERENCE_ORDER)
    data["items"] = [{"sku": f"{prefix}-TEE", "quantity": 1}]
    order = api.post("/v1/orders", data).json()["id"]
    api.post(f"/v1/orders/{order}/allocate")
    api.post(f"/v1/orders/{order}/ship")
    api.post("/v1/webhooks", {"url": "https://hooks.example/x", "events": ["*"]})


def test_every_scoped_admin_shows_only_the_users_accounts(account, other_account):
    populate(account, "A")
    populate(other_account, "B")
    user = User.objects.create_user("m", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="manager")
    request = RequestFactory().get("/admin/")
    request.user = user
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, AccountScopedAdmin):
            continue
        rows = list(model_admin.get_queryset(request))
        if model is Account:
            assert [a.pk for a in rows] == [account.pk]
            continue
        field = model_admin.account_field
        owners = {getattr(row, f"{field}_id") for row in rows}
        assert owners <= {account.pk}, model.__name__
        everyone = {getattr(r, f"{field}_id") for r in model._default_manager.all()}
        if other_account.pk in everyone:
            checked += 1
    assert checked >= 10  # populate() gave account B rows in at least these many models


def test_autocomplete_offers_only_the_users_accounts(client, account, other_account):
    populate(account, "A")
    populate(other_account, "B")
    user = User.objects.create_user("m", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="manager")
    client.force_login(user)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "catalog", "model_name": "skualias", "field_name": "product", "term": "TEE"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["A-TEE (A-TEE)"]
