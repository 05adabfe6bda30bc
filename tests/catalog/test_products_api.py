import pytest

from catalog import services
from catalog.models import KitComponent, Product, SkuAlias
from tests.helpers import Api, assert_scope_matrix, error_of
from webhooks.models import Event

pytestmark = pytest.mark.django_db

FULL = {
    "sku": "WIDGET-BLU",
    "name": "Widget, blue",
    "description": "A blue widget",
    "barcode": "036000291452",
    "hs_code": "8479.89",
    "country_of_origin": "us",
    "weight": "250.5",
    "weight_unit": "g",
    "dimensions": {"length": "10", "width": "5.5", "height": "2", "unit": "cm"},
    "cost": "12.5",
    "price": "29.99",
    "currency": "usd",
    "tracking": "lot",
    "low_stock_threshold": 5,
    "metadata": {"color": "blue"},
}


@pytest.fixture
def api(account):
    return Api(account, ["products:read", "products:write"])


def _create(api, **overrides):
    response = api.post("/v1/products", {"sku": "SKU-1", "name": "Thing", **overrides})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_with_every_field(api):
    response = api.post("/v1/products", FULL)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"].startswith("prd_")
    assert body | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None,
        "sku": "WIDGET-BLU",
        "type": "simple",
        "name": "Widget, blue",
        "description": "A blue widget",
        "barcode": "036000291452",
        "hs_code": "847989",
        "country_of_origin": "US",
        "weight": "250.500",
        "weight_unit": "g",
        "dimensions": {"length": "10.00", "width": "5.50", "height": "2.00", "unit": "cm"},
        "cost": "12.50",
        "price": "29.99",
        "currency": "USD",
        "tracking": "lot",
        "low_stock_threshold": 5,
        "active": True,
        "components": [],
        "metadata": {"color": "blue"},
        "created_at": None,
        "updated_at": None,
    }
    assert api.get(f"/v1/products/{body['id']}").json() == body
    event = Event.objects.get(type="product.created")
    assert event.data == body


def test_defaults(api):
    body = _create(api)
    assert (body["type"], body["tracking"], body["currency"], body["active"]) == (
        "simple",
        "none",
        "USD",
        True,
    )
    assert body["price"] is None and body["metadata"] == {}


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"sku": "has space"}, "sku"),
        ({"sku": "x" * 65}, "sku"),
        ({"sku": "ÄÖ"}, "sku"),
        ({"barcode": "036000291453"}, "barcode"),
        ({"barcode": "12345"}, "barcode"),
        ({"barcode": "abcdefghijkl"}, "barcode"),
        ({"weight_unit": "stone"}, "weight_unit"),
        ({"weight": "-1"}, "weight"),
        ({"dimensions": {"unit": "mm"}}, "dimensions.unit"),
        ({"dimensions": {"length": "-2"}}, "dimensions.length"),
        ({"currency": "XYZ"}, "currency"),
        ({"country_of_origin": "XX"}, "country_of_origin"),
        ({"tracking": "batch"}, "tracking"),
        ({"hs_code": "12"}, "hs_code"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.23456"}, "price"),
        ({"low_stock_threshold": -1}, "low_stock_threshold"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
        ({"metadata": {"blob": "x" * 17000}}, "metadata"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(api, overrides, field):
    response = api.post("/v1/products", {"sku": "SKU-1", "name": "Thing", **overrides})
    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert Product.objects.count() == 0


def test_duplicate_sku_is_409(api):
    _create(api)
    response = api.post("/v1/products", {"sku": "SKU-1", "name": "Again"})
    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("duplicate_sku", "sku")
    assert Product.objects.count() == 1


def test_patch_changes_fields_but_never_the_sku(api):
    product = _create(api, price="10.00")
    url = f"/v1/products/{product['id']}"
    response = api.patch(url, {"price": "12.00", "dimensions": {"height": "3"}})
    assert response.status_code == 200
    assert response.json()["price"] == "12.00"
    assert response.json()["dimensions"]["height"] == "3.00"
    refused = api.patch(url, {"sku": "OTHER", "name": "renamed"})
    assert refused.status_code == 400
    error = error_of(refused)
    assert (error["field"], error["details"][0]["code"]) == ("sku", "read_only")
    stored = Product.objects.get()
    assert (stored.sku, stored.name) == ("SKU-1", "Thing")
    assert Event.objects.filter(type="product.updated").count() == 1


def test_by_sku(api):
    product = _create(api, sku="A.B-C_1")
    assert api.get("/v1/products/by_sku/A.B-C_1").json()["id"] == product["id"]
    assert api.get("/v1/products/by_sku/NOPE").status_code == 404


def test_filters_and_sort(api, account):
    for sku, name, tracking, active in (
        ("B-1", "Bolt", "none", True),
        ("A-1", "Anchor", "serial", True),
        ("C-1", "Cable", "lot", False),
    ):
        services.product_create(
            account=account,
            data={"sku": sku, "name": name, "tracking": tracking, "active": active, "barcode": ""},
        )
    services.product_update(product=Product.objects.get(sku="A-1"), data={"barcode": "96385074"})

    def skus(**params):
        return [p["sku"] for p in api.get("/v1/products", params).json()["data"]]

    assert skus() == ["A-1", "B-1", "C-1"]
    assert skus(sku="B-1") == ["B-1"]
    assert skus(sku="C-1,A-1") == ["A-1", "C-1"]
    assert skus(q="cab") == ["C-1"]
    assert skus(q="963850") == ["A-1"]
    assert skus(active="false") == ["C-1"]
    assert skus(tracking="serial") == ["A-1"]
    assert skus(sort="-name") == ["C-1", "B-1", "A-1"]
    assert skus(sort="-updated_at")[0] == "A-1"
    assert skus(created_after="2000-01-01") == ["A-1", "B-1", "C-1"]
    assert skus(updated_after="2999-01-01") == []
    assert api.get("/v1/products", {"tracking": "batch"}).status_code == 400


# --- delete or archive ----------------------------------------------------------------------
def test_unreferenced_product_is_deleted_204(api):
    product = _create(api)
    response = api.delete(f"/v1/products/{product['id']}")
    assert response.status_code == 204
    assert Product.objects.count() == 0
    assert Event.objects.filter(type="product.deleted").count() == 1


def test_product_in_a_kit_is_archived_200(api):
    part = _create(api, sku="PART")
    _create(api, sku="KIT", type="kit", components=[{"sku": "PART", "quantity": 2}])
    response = api.delete(f"/v1/products/{part['id']}")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert Product.objects.get(sku="PART").active is False
    assert KitComponent.objects.count() == 1
    assert Event.objects.filter(type="product.archived").count() == 1


def test_deleting_a_kit_deletes_its_component_rows_not_the_parts(api):
    _create(api, sku="PART")
    kit = _create(api, sku="KIT", type="kit", components=[{"sku": "PART", "quantity": 2}])
    assert api.delete(f"/v1/products/{kit['id']}").status_code == 204
    assert list(Product.objects.values_list("sku", flat=True)) == ["PART"]
    assert KitComponent.objects.count() == 0


# --- kits -----------------------------------------------------------------------------------
def test_kit_with_components(api):
    _create(api, sku="CUP")
    _create(api, sku="SAUCER")
    kit = _create(
        api,
        sku="TEA-SET",
        type="kit",
        components=[{"sku": "CUP", "quantity": 2}, {"sku": "SAUCER", "quantity": 2}],
    )
    assert [(c["sku"], c["quantity"]) for c in kit["components"]] == [("CUP", 2), ("SAUCER", 2)]
    assert all(c["product_id"].startswith("prd_") for c in kit["components"])
    patched = api.patch(
        f"/v1/products/{kit['id']}", {"components": [{"sku": "CUP", "quantity": 4}]}
    )
    assert [(c["sku"], c["quantity"]) for c in patched.json()["components"]] == [("CUP", 4)]


@pytest.mark.parametrize(
    "body,field,code",
    [
        ({"components": [{"sku": "NOPE", "quantity": 1}]}, "components[0].sku", "unknown_sku"),
        (
            {"components": [{"sku": "PART", "quantity": 1}, {"sku": "OTHER-KIT", "quantity": 1}]},
            "components[1].sku",
            "kit_nesting",
        ),
        ({"components": [{"sku": "NEW-KIT", "quantity": 1}]}, "components[0].sku", "kit_cycle"),
        ({"components": [{"sku": "PART", "quantity": 0}]}, "components[0].quantity", "min_value"),
        (
            {"components": [{"sku": "PART", "quantity": 1}, {"sku": "PART", "quantity": 2}]},
            "components[1].sku",
            "duplicate_component",
        ),
        ({"components": []}, "components", "required"),
        ({}, "components", "required"),
    ],
)
def test_kit_validation(api, body, field, code):
    _create(api, sku="PART")
    _create(api, sku="OTHER-KIT", type="kit", components=[{"sku": "PART", "quantity": 1}])
    response = api.post("/v1/products", {"sku": "NEW-KIT", "name": "Kit", "type": "kit", **body})
    # a component that is itself a kit is another product's state: a conflict
    assert response.status_code == (409 if code == "kit_nesting" else 400)
    error = error_of(response)
    assert error["field"] == field
    # serializer checks name the reason in details; service checks in the top-level code
    reason = error["details"][0]["code"] if error["code"] == "validation_error" else error["code"]
    assert reason == code
    assert not Product.objects.filter(sku="NEW-KIT").exists()


def test_simple_product_cannot_have_components(api):
    _create(api, sku="PART")
    response = api.post(
        "/v1/products", {"sku": "S", "name": "s", "components": [{"sku": "PART", "quantity": 1}]}
    )
    assert error_of(response)["field"] == "components"


def test_a_component_cannot_become_a_kit(api):
    part = _create(api, sku="PART")
    _create(api, sku="OTHER")
    _create(api, sku="KIT", type="kit", components=[{"sku": "PART", "quantity": 1}])
    response = api.patch(
        f"/v1/products/{part['id']}",
        {"type": "kit", "components": [{"sku": "OTHER", "quantity": 1}]},
    )
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["field"]) == ("kit_nesting", "type")
    assert Product.objects.get(sku="PART").type == "simple"


# --- aliases --------------------------------------------------------------------------------
def test_aliases_and_resolution_per_channel(api, account):
    from catalog.selectors import resolve_sku, resolve_skus

    blue = _create(api, sku="WIDGET-BLU")
    red = _create(api, sku="WIDGET-RED")
    url = f"/v1/products/{blue['id']}/aliases"
    created = api.post(url, {"channel": "shopify", "alias": "SHOP-123"})
    assert created.status_code == 201
    assert created.json()["product_id"] == blue["id"]
    api.post(f"/v1/products/{red['id']}/aliases", {"channel": "amazon", "alias": "SHOP-123"})
    # the same alias means different products on different channels
    assert resolve_sku(account=account, sku="SHOP-123", channel="shopify").sku == "WIDGET-BLU"
    assert resolve_sku(account=account, sku="SHOP-123", channel="amazon").sku == "WIDGET-RED"
    assert resolve_sku(account=account, sku="SHOP-123", channel="ebay") is None
    assert resolve_sku(account=account, sku="SHOP-123") is None
    # the product's own SKU wins over an alias
    api.post(f"/v1/products/{red['id']}/aliases", {"channel": "shopify", "alias": "WIDGET-BLU"})
    assert resolve_sku(account=account, sku="WIDGET-BLU", channel="shopify").sku == "WIDGET-BLU"
    found = resolve_skus(account=account, skus=["SHOP-123", "WIDGET-RED", "X"], channel="amazon")
    assert {k: v.sku for k, v in found.items()} == {
        "SHOP-123": "WIDGET-RED",
        "WIDGET-RED": "WIDGET-RED",
    }
    assert [a["alias"] for a in api.get(url).json()["data"]] == ["SHOP-123"]


def test_duplicate_alias_is_409(api):
    blue = _create(api, sku="WIDGET-BLU")
    red = _create(api, sku="WIDGET-RED")
    api.post(f"/v1/products/{blue['id']}/aliases", {"channel": "shopify", "alias": "S-1"})
    response = api.post(f"/v1/products/{red['id']}/aliases", {"channel": "shopify", "alias": "S-1"})
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["field"]) == ("duplicate_alias", "alias")
    assert SkuAlias.objects.count() == 1


def test_delete_alias(api):
    blue = _create(api, sku="WIDGET-BLU")
    alias = api.post(f"/v1/products/{blue['id']}/aliases", {"channel": "shop", "alias": "S"}).json()
    assert api.delete(f"/v1/products/{blue['id']}/aliases/{alias['id']}").status_code == 204
    assert SkuAlias.objects.count() == 0
    assert api.delete(f"/v1/products/{blue['id']}/aliases/{alias['id']}").status_code == 404


# --- tenancy and scopes ---------------------------------------------------------------------
def test_other_account_cannot_reach_products(api, other_account):
    product = _create(api, sku="SECRET")
    alias = api.post(f"/v1/products/{product['id']}/aliases", {"channel": "c", "alias": "a"}).json()
    other = Api(other_account, ["products:read", "products:write"])
    for response in (
        other.get(f"/v1/products/{product['id']}"),
        other.patch(f"/v1/products/{product['id']}", {"name": "pwned"}),
        other.delete(f"/v1/products/{product['id']}"),
        other.get("/v1/products/by_sku/SECRET"),
        other.get(f"/v1/products/{product['id']}/aliases"),
        other.post(f"/v1/products/{product['id']}/aliases", {"channel": "c", "alias": "b"}),
        other.delete(f"/v1/products/{product['id']}/aliases/{alias['id']}"),
    ):
        assert response.status_code == 404
    assert other.get("/v1/products").json()["data"] == []
    # the same SKU is free in the other account, and bulk there never touches ours
    assert other.post("/v1/products", {"sku": "SECRET", "name": "mine"}).status_code == 201
    other.post("/v1/products/bulk", {"products": [{"sku": "SECRET", "name": "bulk"}]})
    assert Product.objects.get(account=api.account).name == "Thing"
    assert SkuAlias.objects.count() == 1


def test_scope_matrix_over_every_product_endpoint(account):
    product = services.product_create(account=account, data={"sku": "P", "name": "p"})
    spare = services.product_create(account=account, data={"sku": "SPARE", "name": "s"})
    alias = services.alias_create(product=product, channel="c", alias="a")
    pid = product.public_id
    assert_scope_matrix(
        account,
        [
            ("GET", "/v1/products", None, "products:read"),
            ("POST", "/v1/products", {"sku": "NEW", "name": "n"}, "products:write"),
            ("GET", f"/v1/products/{pid}", None, "products:read"),
            ("PATCH", f"/v1/products/{pid}", {"name": "x"}, "products:write"),
            ("DELETE", f"/v1/products/{spare.public_id}", None, "products:write"),
            ("GET", "/v1/products/by_sku/P", None, "products:read"),
            (
                "POST",
                "/v1/products/bulk",
                {"products": [{"sku": "B", "name": "b"}]},
                "products:write",
            ),
            ("GET", f"/v1/products/{pid}/aliases", None, "products:read"),
            (
                "POST",
                f"/v1/products/{pid}/aliases",
                {"channel": "c", "alias": "z"},
                "products:write",
            ),
            ("DELETE", f"/v1/products/{pid}/aliases/{alias.public_id}", None, "products:write"),
        ],
    )


@pytest.mark.parametrize(
    "target, body, status, code",
    [
        # the body alone decides: a 400 (and the schema says so)
        ("simple", {"type": "kit", "components": []}, 400, "validation_error"),
        ("simple", {"type": "simple", "components": [{"sku": "PART", "quantity": 1}]}, 400, None),
        # the product as it is decides: a 409
        ("simple", {"type": "kit"}, 409, "components_required"),
        ("simple", {"components": [{"sku": "PART", "quantity": 1}]}, 409, "not_a_kit"),
        ("kit", {"components": []}, 409, "components_required"),
    ],
)
def test_kit_shape_on_patch(api, target, body, status, code):
    _create(api, sku="PART")
    simple = _create(api, sku="PLAIN")
    kit = _create(api, sku="KIT", type="kit", components=[{"sku": "PART", "quantity": 1}])
    product = simple if target == "simple" else kit
    response = api.patch(f"/v1/products/{product['id']}", body)
    assert response.status_code == status, response.content
    error = error_of(response)
    assert error["field"] == "components"
    if code is not None:
        assert error["code"] == code
    after = Product.objects.get(public_id=product["id"])
    assert (after.type, after.components.count()) == (target, 0 if target == "simple" else 1)
