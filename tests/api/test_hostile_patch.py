"""Item 12: a read-only or unknown field in a PATCH is 400 everywhere; 409 only for state locks."""

import pytest

from tests.api.hostile import SCHEMA, World, assert_refused, snapshot
from tests.helpers import error_of

pytestmark = pytest.mark.django_db


# --- item 12: PATCH of read-only fields -------------------------------------------------------
def _patch_routes() -> list[str]:
    return sorted(path for path, ops in SCHEMA["paths"].items() if "patch" in ops)


def _writable(path: str) -> set[str]:
    ref = SCHEMA["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    component = SCHEMA["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return set(component["properties"])


def _patch_target(path: str, world: World) -> str:
    kind = path.split("/")[2]
    return {
        "products": world.product,
        "warehouses": world.warehouse,
        "locations": world.bin,
        "orders": world.pending,
        "packages": world.package,
        "webhooks": world.webhook,
    }[kind]


def test_the_patch_table_covers_every_patch_route():
    assert _patch_routes() == [
        "/v1/locations/{id}",
        "/v1/orders/{id}",
        "/v1/packages/{id}",
        "/v1/products/{id}",
        "/v1/warehouses/{id}",
        "/v1/webhooks/{id}",
    ]


@pytest.mark.parametrize("path", _patch_routes())
def test_patch_of_a_read_only_field_is_400_read_only_everywhere(world, path):
    url = path.replace("{id}", _patch_target(path, world))
    current = world.api.get(url).json()
    read_only = sorted(set(current) - _writable(path))
    assert read_only, path
    wrong = []
    for name in read_only:
        before = snapshot()
        response = world.api.patch(url, {name: current[name]})
        error = response.json().get("error", {})
        detail = (error.get("details") or [{}])[0]
        got = (response.status_code, error.get("code"), error.get("field"), detail.get("code"))
        if got != (400, "validation_error", name, "read_only"):
            wrong.append((name, got))
        elif snapshot() != before:
            wrong.append((name, "changed state"))
    unknown = world.api.patch(url, {"no_such_field": 1})
    assert_refused(unknown, "no_such_field")
    assert error_of(unknown)["details"][0]["code"] == "unknown_field"
    assert wrong == []


def test_a_field_locked_by_state_is_still_409(world):
    response = world.api.patch(
        f"/v1/orders/{world.allocated}", {"items": [{"sku": "B", "quantity": 1}]}
    )
    assert response.status_code == 409
    assert (error_of(response)["code"], error_of(response)["field"]) == ("field_locked", "items")


def test_a_read_only_field_in_a_create_is_400_read_only_too(world):
    from tests.api.hostile import new, order_body
    from tests.helpers import warehouse_body

    cases = [
        ("/v1/products", {"sku": new("N"), "name": "N", "id": "prd_mine"}, "id"),
        ("/v1/orders", order_body(status="shipped"), "status"),
        ("/v1/orders", order_body(subtotal="1.00"), "subtotal"),
        (
            "/v1/warehouses",
            warehouse_body(new("W"), default_location_id="loc_x"),
            "default_location_id",
        ),
        (
            f"/v1/warehouses/{world.warehouse}/locations",
            {"code": new("L"), "is_default": True},
            "is_default",
        ),
        ("/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["*"], "secret": "s"}, "secret"),
        (
            "/v1/returns",
            {
                "order_id": world.shipped,
                "lines": [{"sku": "B", "quantity": 1, "reason": "damaged"}],
                "status": "received",
            },
            "status",
        ),
    ]
    for path, body, field in cases:
        before = snapshot()
        response = world.api.post(path, body)
        assert_refused(response, field)
        assert error_of(response)["details"][0]["code"] == "read_only", path
        assert snapshot() == before
