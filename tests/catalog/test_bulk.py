import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.models import KitComponent, Product
from tests.helpers import Api, error_of
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(account):
    return Api(account, ["products:read", "products:write"])


def _items(n=1000):
    return [{"sku": f"BULK-{i:04d}", "name": f"Bulk {i}", "price": "1.50"} for i in range(n)]


def test_1000_items_with_3_invalid_write_997_and_report_the_3(api):
    items = _items()
    items[10]["barcode"] = "036000291453"  # bad check digit
    items[500]["sku"] = "has space"
    items[999]["weight_unit"] = "stone"
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/v1/products/bulk", {"products": items})
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (997, 0, 3)
    assert len(body["results"]) == 1000
    assert [r["index"] for r in body["results"]] == list(range(1000))
    errors = {r["index"]: r["error"]["field"] for r in body["results"] if r["status"] == "error"}
    assert errors == {10: "barcode", 500: "sku", 999: "weight_unit"}
    assert Product.objects.count() == 997
    assert not Product.objects.filter(sku__in=["BULK-0010", "BULK-0999"]).exists()
    assert Event.objects.filter(type="product.created").count() == 997
    # a constant number of statements, not one per product
    assert len(queries) < 40, len(queries)


def test_bulk_updates_existing_skus_like_a_patch(api, account):
    services.product_create(account=account, data={"sku": "OLD", "name": "Old", "price": "5"})
    response = api.post(
        "/v1/products/bulk",
        {"products": [{"sku": "OLD", "price": "6.00"}, {"sku": "NEW", "name": "New"}]},
    )
    body = response.json()
    assert [(r["sku"], r["status"]) for r in body["results"]] == [
        ("OLD", "updated"),
        ("NEW", "created"),
    ]
    old = Product.objects.get(sku="OLD")
    assert (old.name, str(old.price)) == ("Old", "6.0000")
    assert Event.objects.filter(type="product.updated").count() == 1


def test_atomic_writes_nothing_when_one_item_fails(api):
    items = _items(20)
    items[7]["currency"] = "XYZ"
    response = api.post("/v1/products/bulk?atomic=true", {"products": items})
    assert response.status_code == 400
    error = error_of(response)
    assert error["field"] == "products[7].currency"
    assert [d["field"] for d in error["details"]] == ["products[7].currency"]
    assert Product.objects.count() == 0
    assert Event.objects.count() == 0


def test_atomic_all_good_writes_all(api):
    response = api.post("/v1/products/bulk?atomic=true", {"products": _items(5)})
    assert response.json()["created"] == 5


def test_repeated_sku_in_a_batch(api):
    response = api.post(
        "/v1/products/bulk",
        {"products": [{"sku": "A", "name": "1"}, {"sku": "A", "name": "2"}]},
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert results[1]["error"]["code"] == "duplicate_sku"
    assert Product.objects.get().name == "1"


def test_kits_in_a_batch_may_use_parts_of_the_same_batch(api):
    response = api.post(
        "/v1/products/bulk",
        {
            "products": [
                {
                    "sku": "KIT",
                    "name": "Kit",
                    "type": "kit",
                    "components": [{"sku": "PART", "quantity": 3}],
                },
                {"sku": "PART", "name": "Part"},
                {
                    "sku": "BAD-KIT",
                    "name": "Bad",
                    "type": "kit",
                    "components": [{"sku": "KIT", "quantity": 1}],
                },
                {
                    "sku": "GHOST-KIT",
                    "name": "G",
                    "type": "kit",
                    "components": [{"sku": "NOPE", "quantity": 1}],
                },
            ]
        },
    )
    results = {r["sku"]: r for r in response.json()["results"]}
    assert results["KIT"]["status"] == "created"
    assert results["PART"]["status"] == "created"
    assert results["BAD-KIT"]["error"] == {
        "code": "kit_nesting",
        "message": "KIT is a kit; kits cannot contain kits.",
        "field": "components[0].sku",
    }
    assert results["GHOST-KIT"]["error"]["code"] == "unknown_sku"
    kit = Product.objects.get(sku="KIT")
    assert list(KitComponent.objects.filter(kit=kit).values_list("component__sku", "quantity")) == [
        ("PART", 3)
    ]
    assert set(Product.objects.values_list("sku", flat=True)) == {"KIT", "PART"}


@pytest.mark.parametrize(
    "body,field",
    [
        ({"products": []}, "products"),
        ({}, "products"),
        ({"products": "nope"}, "products"),
        ({"products": [{"sku": "A", "name": "a"}] * 1001}, "products"),
    ],
)
def test_bad_envelopes(api, body, field):
    response = api.post("/v1/products/bulk", body)
    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert Product.objects.count() == 0


def test_non_object_items_are_item_errors(api):
    response = api.post("/v1/products/bulk", {"products": [{"sku": "A", "name": "a"}, "x"]})
    assert response.status_code == 400  # DictField refuses non-objects in the envelope
    assert error_of(response)["field"] == "products[1]"


def test_bad_atomic_flag(api):
    response = api.post("/v1/products/bulk?atomic=maybe", {"products": _items(1)})
    assert response.status_code == 400
    assert error_of(response)["field"] == "atomic"
