"""OpenAPI links from each create to what can be done with its object (issue 15), derived from
the paths: every link names a real operation and fills all its path parameters, and following
the links of a created order reaches it."""

import re

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/v1/openapi.json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                yield path, method, operation


def test_every_link_names_an_operation_and_fills_its_path(schema):
    by_id = {op["operationId"]: path for path, _, op in operations(schema)}
    links = 0
    for _, _, operation in operations(schema):
        for response in operation.get("responses", {}).values():
            for link in response.get("links", {}).values():
                links += 1
                target = by_id[link["operationId"]]
                needed = {f"path.{name}" for name in re.findall(r"\{(\w+)\}", target)}
                assert set(link["parameters"]) == needed, (target, link)
    assert links >= 35


@pytest.mark.parametrize(
    "create, expected",
    [
        ("/v1/orders", {"orders_retrieve", "orders_partial_update", "orders_allocate_create"}),
        ("/v1/returns", {"returns_retrieve", "returns_authorize_create"}),
        ("/v1/warehouses/{warehouse_id}/locations", {"locations_retrieve"}),
        ("/v1/webhooks", {"webhooks_retrieve", "webhooks_destroy"}),
    ],
)
def test_each_create_links_to_its_object(schema, create, expected):
    links = schema["paths"][create]["post"]["responses"]["201"].get("links", {})
    assert expected <= set(links)


def test_following_the_links_of_a_created_warehouse_reaches_it(schema, api):
    from tests.helpers import warehouse_body

    created = api.post("/v1/warehouses", warehouse_body("LINKED"))
    assert created.status_code == 201
    links = schema["paths"]["/v1/warehouses"]["post"]["responses"]["201"]["links"]
    link = links["warehouses_retrieve"]
    ((name, expression),) = link["parameters"].items()
    assert expression == "$response.body#/id"
    assert name == "path.id"
    fetched = api.get(f"/v1/warehouses/{created.json()['id']}")
    assert fetched.status_code == 200 and fetched.json()["id"] == created.json()["id"]


def test_a_list_links_to_the_operations_on_its_first_row(schema):
    # packages come from allocation, never from a create: their list is what links to them
    links = schema["paths"]["/v1/packages"]["get"]["responses"]["200"]["links"]
    assert {"packages_retrieve", "packages_partial_update", "packages_ship_create"} <= set(links)
    assert links["packages_partial_update"]["parameters"] == {
        "path.id": "$response.body#/data/0/id"
    }
    aliases = schema["paths"]["/v1/products"]["get"]["responses"]["200"]["links"]
    assert aliases["products_aliases_list"]["parameters"] == {
        "path.product_id": "$response.body#/data/0/id"
    }
