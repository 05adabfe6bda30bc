"""The schema's last pass (drf-spectacular postprocessing): the shared Error components, the
token endpoint (not a DRF view), OpenAPI links derived from the paths (from each create to
what can be done with what it created, from each list to the operations on its first row),
and which request bodies are required."""

import re

from jsonschema import Draft202012Validator

from vectis.api.schema import ERROR_SCHEMA, OAUTH_ERROR_SCHEMA, TOKEN_PATH


def postprocess_schema(result, generator, request, public):
    """Add the shared Error component and the token endpoint (not a DRF view)."""
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["OAuthError"] = OAUTH_ERROR_SCHEMA
    paths = {"/oauth/token": TOKEN_PATH}
    paths.update(result.get("paths", {}))
    result["paths"] = paths
    add_links(result)
    _require_bodies(result)
    return result


def _require_bodies(result) -> None:
    """A request body that `{}` does not satisfy (required keys, a `oneOf`) is required: the
    server answers a request without one as it answers `{}`, with a 400. One that `{}`
    satisfies (a PATCH) is optional: without one, the server changes nothing."""
    components = result.get("components", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            for content in body.get("content", {}).values():
                root = {"components": components, **content.get("schema", {})}
                if not Draft202012Validator(root).is_valid({}):
                    body["required"] = True


_OPERATIONS = ("get", "put", "patch", "delete", "post")
# Creates whose objects are addressed under another collection than the one posted to.
_CREATED_UNDER = {"/v1/warehouses/{warehouse_id}/locations": "/v1/locations"}


def add_links(result) -> None:
    """OpenAPI links from each create to what can be done with what it created: a POST on a
    collection (`/v1/orders`) whose answer has an `id` links to every operation under
    `/v1/orders/{…}`, the path parameter filled from that id. Derived from the paths, so a new
    resource is linked without edits."""
    paths = result.get("paths", {})
    schemas = result.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        create = item.get("post")
        if create is None or path.endswith("}"):
            continue
        for status, response in create.get("responses", {}).items():
            if not status.startswith("2") or not _has_id(response, schemas):
                continue
            own = re.findall(r"\{(\w+)\}", path)  # carried over from the request
            base = path
            if path in _CREATED_UNDER:
                base, own = _CREATED_UNDER[path], []
            links = {}
            for other, other_item in paths.items():
                rest = other[len(base) :]
                if not other.startswith(base + "/{") or "}" not in rest:
                    continue
                parameter = rest[2 : rest.index("}")]
                if set(re.findall(r"\{(\w+)\}", other)) != {*own, parameter}:
                    continue  # needs an id this answer does not give
                filled = {f"path.{name}": f"$request.path.{name}" for name in own}
                filled[f"path.{parameter}"] = "$response.body#/id"
                for method in _OPERATIONS:
                    operation = other_item.get(method)
                    if operation is None or "operationId" not in operation:
                        continue
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": filled,
                    }
            if links:
                response["links"] = links
    _add_list_links(paths)


def _add_list_links(paths: dict) -> None:
    """A plain list (`GET /v1/packages`, no path parameters) links to the operations on its
    first row (`/v1/packages/{id}`), for objects no create answers with (packages come from
    allocation)."""
    for path, item in paths.items():
        listing = item.get("get")
        if listing is None or "{" in path:
            continue
        names = {p["name"] for p in listing.get("parameters", []) if p.get("in") == "query"}
        if "page" not in names:
            continue
        links = {}
        for other, other_item in paths.items():
            parameters = re.findall(r"\{(\w+)\}", other)
            if not other.startswith(path + "/{") or len(parameters) != 1:
                continue
            for method in _OPERATIONS:
                operation = other_item.get(method)
                if operation is not None and "operationId" in operation:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {f"path.{parameters[0]}": "$response.body#/data/0/id"},
                    }
        response = listing.get("responses", {}).get("200")
        if links and response is not None:
            response.setdefault("links", {}).update(links)


def _has_id(response, schemas) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        schema = schemas.get(ref.rsplit("/", 1)[1], {})
    return "id" in schema.get("properties", {})
