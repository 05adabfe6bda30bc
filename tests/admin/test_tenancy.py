"""Every admin list is limited to the user's accounts, and so is every autocomplete."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from tests.factories import Stock, order_body
from tests.helpers import Api
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
    data = order_body(items=[{"sku": f"{prefix}-TEE", "quantity": 1}])
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


# Every admin of account-owned rows that opts out of account scoping, with its reason. None does.
OPTED_OUT: dict[str, str] = {}


def _owned_by_an_account(model) -> bool:
    return model is Account or any(f.name == "account" for f in model._meta.get_fields())


def test_every_admin_of_account_rows_is_scoped_and_none_opts_out_unlisted():
    owned = {m: a for m, a in admin.site._registry.items() if _owned_by_an_account(m)}
    assert len(owned) >= 10  # the walk found the domain's admins
    unscoped = [m.__name__ for m, a in owned.items() if not isinstance(a, AccountScopedAdmin)]
    assert unscoped == []
    opted = {type(a).__qualname__: a.tenancy_opt_out for a in owned.values()}
    assert {k: r for k, r in opted.items() if r} == OPTED_OUT


def test_an_admin_that_forgets_the_account_filter_is_scoped_anyway(account, other_account):
    from catalog.models import Product

    # given products of two accounts, and planted admins whose get_queryset returns them all
    class Forgetful(AccountScopedAdmin):
        def get_queryset(self, request):
            return Product.objects.all()

    class OptedOut(Forgetful):
        tenancy_opt_out = "planted: shows what opting out does"

    Product.objects.create(account=account, sku="MINE", name="m")
    Product.objects.create(account=other_account, sku="THEIRS", name="t")
    user = User.objects.create_user("m", password="pw", is_staff=True)
    Membership.objects.create(user=user, account=account, role="manager")
    request = RequestFactory().get("/admin/")
    request.user = user
    # when a member of the first account lists through each
    forgetful = Forgetful(Product, admin.site).get_queryset(request)
    opted_out = OptedOut(Product, admin.site).get_queryset(request)
    # then the forgetful one shows only that account's, the one that opts out in so many words
    # shows both
    assert [p.sku for p in forgetful] == ["MINE"]
    assert {p.sku for p in opted_out} == {"MINE", "THEIRS"}
