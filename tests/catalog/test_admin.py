import pytest
from django.contrib.auth.models import User

from catalog.models import Product, SkuAlias
from tests.helpers import make_account
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_admin_creates_and_edits_products_through_the_services(client):
    user = User.objects.create_superuser("root", password="pw")
    client.force_login(user)
    account = make_account("Acme")
    form = {
        "account": account.pk,
        "sku": "ADM-1",
        "name": "From admin",
        "weight_unit": "g",
        "dimension_unit": "cm",
        "currency": "USD",
        "tracking": "none",
        "active": "on",
        "metadata": "{}",
        "components-TOTAL_FORMS": 0,
        "components-INITIAL_FORMS": 0,
        "aliases-TOTAL_FORMS": 1,
        "aliases-INITIAL_FORMS": 0,
        "aliases-0-channel": "shopify",
        "aliases-0-alias": "SHOP-1",
    }
    response = client.post("/admin/catalog/product/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(sku="ADM-1")
    assert SkuAlias.objects.get().account == account
    assert Event.objects.filter(type="product.created").count() == 1
    listing = client.get("/admin/catalog/product/?q=ADM")
    assert "ADM-1" in listing.content.decode()
    form.update(name="Renamed", **{"aliases-TOTAL_FORMS": 0})
    form.pop("sku")
    form.pop("account")
    response = client.post(f"/admin/catalog/product/{product.pk}/change/", form)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Renamed"
    assert Event.objects.filter(type="product.updated").count() == 1
