import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from vectis.accounts.scopes import ALL_SCOPES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0].endswith("json")
    return response.json()


def _api_routes() -> set[tuple[str, str]]:
    """(METHOD, /v1/path/{id}) for every DRF route under /v1/ in the URL conf."""
    routes = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                path = prefix + str(p.pattern)
                view = p.callback
                cls = getattr(view, "cls", None)
                if not path.startswith("v1/") or cls is None or path == "v1/openapi.json":
                    continue
                path = re.sub(r"\(\?P<(\w+)>[^)]+\)", r"{\1}", path)
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path).replace("^", "").replace(
                    "$", ""
                )
                methods = (
                    {m.upper() for m in view.actions}
                    if getattr(view, "actions", None)
                    else {
                        m.upper()
                        for m in cls.http_method_names
                        if hasattr(cls, m) and m != "options"
                    }
                )
                for method in methods - {"HEAD", "OPTIONS"}:
                    routes.add((method, path))

    walk(get_resolver().url_patterns)
    return routes


def test_schema_is_valid_openapi_3_1(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)


def test_oauth2_client_credentials_with_every_scope(schema):
    scheme = schema["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert set(flow["scopes"]) == set(ALL_SCOPES)
    assert "post" in schema["paths"]["/oauth/token"]


READS = [
    f"{r}:read" for r in ("orders", "products", "inventory", "warehouses", "packages", "returns")
]


def expected_scopes(method: str, path: str) -> list[str]:
    resource = path.split("/")[2]
    if resource == "webhooks":
        return ["webhooks:manage"]
    if resource == "events":
        return [*READS, "webhooks:manage"]
    if resource == "locations":
        resource = "warehouses"
    if resource == "aliases":  # a product's channel SKUs: the products scopes, as under
        resource = "products"  # /v1/products/{id}/aliases
    return [f"{resource}:read" if method == "GET" else f"{resource}:write"]


def test_every_api_route_is_documented_with_its_scope(schema):
    routes = _api_routes()
    assert ("GET", "/v1/warehouses") in routes  # the walk found the routes
    assert ("POST", "/v1/webhooks/deliveries/{id}/redeliver") in routes
    assert len(routes) >= 20
    for method, path in routes:
        operation = schema["paths"].get(path, {}).get(method.lower())
        assert operation is not None, f"{method} {path} missing from the schema"
        security = operation["security"]
        expected = [{"oauth2": [scope]} for scope in expected_scopes(method, path)]
        assert security == expected, (method, path, security)
        for status in ("401", "403", "429"):
            ref = operation["responses"][status]["content"]["application/json"]["schema"]
            assert ref == {"$ref": "#/components/schemas/Error"}


def test_webhooks_section_documents_every_event_type(schema):
    from webhooks.event_types import EVENT_TYPES

    assert set(schema["webhooks"]) == set(EVENT_TYPES)
    components = schema["components"]["schemas"]
    documented = set()
    for name, event_type in EVENT_TYPES.items():
        operation = schema["webhooks"][name]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert set(body["required"]) == {"id", "type", "created_at", "data"}
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert {"X-Vectis-Signature", "webhook-id", "webhook-signature"} <= headers
        if event_type.schema in components:
            assert body["properties"]["data"] == {
                "$ref": f"#/components/schemas/{event_type.schema}"
            }
            documented.add(name)
    # every resource that exists so far has its payload documented by reference
    assert {
        "product.created",
        "product.updated",
        "product.archived",
        "product.deleted",
    } <= documented
    ping = schema["webhooks"]["ping"]["post"]["requestBody"]["content"]["application/json"]
    assert ping["schema"]["properties"]["data"]["required"] == ["webhook_id", "url"]


def test_posts_document_idempotency_key_and_errors(schema):
    post = schema["paths"]["/v1/warehouses"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert {"201", "400", "409", "422"} <= set(post["responses"])


def test_list_documents_pagination_and_filters(schema):
    params = {p["name"] for p in schema["paths"]["/v1/warehouses"]["get"]["parameters"]}
    assert {"page", "per_page", "cursor", "active", "code", "q", "sort"} <= params
    ref = schema["paths"]["/v1/warehouses"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body["properties"]) == {"data", "meta"}
    # meta is one of two shapes since keyset pagination (issue 13): page mode and cursor mode.
    page_meta, cursor_meta = body["properties"]["meta"]["oneOf"]
    assert (
        set(page_meta["properties"])
        == set(page_meta["required"])
        == {
            "page",
            "per_page",
            "total",
            "total_estimated",
            "total_pages",
            "next_cursor",
        }
    )
    assert (
        set(cursor_meta["properties"])
        == set(cursor_meta["required"])
        == {
            "per_page",
            "next_cursor",
        }
    )


def test_swagger_ui_uses_local_assets_only(client):
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/v1/openapi.json" in html
    scripts = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    asset = next(s for s in scripts if s.endswith("swagger-ui-bundle.js"))
    assert client.get(asset).status_code == 200


def test_health_endpoints_are_not_in_the_schema(schema):
    assert not {"/healthz", "/readyz"} & set(schema["paths"])


def test_operations_with_a_body_document_413_and_415_and_answer_them(schema, api):
    with_body = [
        (path, method)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation and path.startswith("/v1/")
    ]
    assert len(with_body) >= 30
    for path, method in with_body:
        responses = schema["paths"][path][method]["responses"]
        assert {"413", "415"} <= set(responses), (method, path)
    response = api.http.post("/v1/warehouses", "code=X", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
