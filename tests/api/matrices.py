"""Generated matrices (issue 15): tenancy, scopes and read-only fields over every operation of
the OpenAPI schema, so a new endpoint is covered without editing the tests.

Path parameters are filled from what the owner can list, by one rule: a parameter takes the
`id` (or the field of its own name, such as `sku` or `channel`) of the first row of the
collection before it: the path so far when that is a list, else a list of the same name
elsewhere in the schema (`/v1/webhooks/deliveries/{id}` from `/v1/webhooks/{webhook_id}/
deliveries`), else the nearest list above it (`/v1/products/by_sku/{sku}` from
`/v1/products`). A parameter the rule cannot fill is an error naming the operation, never a
silent skip.

Each function returns the violations it found (an empty list is the pass), so a test can also
show that a planted endpoint without tenancy is caught.
"""

import re

from catalog.models import SkuAlias
from tests.api import hostile
from tests.helpers import Api
from vectis.accounts.scopes import ALL_SCOPES
from webhooks.models import Delivery

METHODS = ("get", "post", "patch", "put", "delete")
# What the hostile-input tests snapshot, and the rows only these paths reach.
STATE_MODELS = (*hostile.STATE_MODELS, SkuAlias, Delivery)
# The parameters of paging and sorting; every other query parameter is a filter.
NOT_FILTERS = {"page", "per_page", "cursor", "sort", "ordering", "limit"}


def snapshot() -> dict:
    """Every row of every table a request could touch."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in STATE_MODELS}


def operations(schema: dict, prefix: str = "/v1/") -> list[tuple[str, str, dict]]:
    """(METHOD, path template, operation) of every operation under `prefix`; DELETEs last."""
    found = [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        if path.startswith(prefix)
        for method, op in ops.items()
        if method in METHODS
    ]
    return sorted(found, key=lambda o: (o[0] == "DELETE", o[1], o[0]))


def granting_scopes(operation: dict) -> tuple[str, ...]:
    """The scopes any one of which the schema says grants the operation."""
    return tuple(scope for requirement in operation["security"] for scope in requirement["oauth2"])


def example_body(operation: dict):
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return body.get("example")


class Filler:
    """Fills path templates with objects the owner (`api`) can reach; see the module doc."""

    def __init__(self, api: Api, schema: dict):
        self.api = api
        self.schema = schema
        self._rows: dict[str, list | None] = {}
        self.lists = [
            path
            for path, ops in schema["paths"].items()
            if "get" in ops and any(p["name"] == "page" for p in ops["get"].get("parameters", []))
        ]

    def rows(self, path: str) -> list | None:
        """The owner's rows at `path` if it is a list with rows, else None."""
        if path not in self._rows:
            response = self.api.get(path, {"per_page": 100})
            data = response.json().get("data") if response.status_code == 200 else None
            self._rows[path] = data if isinstance(data, list) and data else None
        return self._rows[path]

    def _collection(self, segments: list[str]) -> tuple[str, list]:
        path = "/" + "/".join(segments)
        found = self.rows(path)
        if found:
            return path, found
        name = segments[-1]
        for template in self.lists:
            if template.rsplit("/", 1)[-1] == name and "{" in template and template != path:
                filled = self.fill(template)
                if self.rows(filled):
                    return filled, self.rows(filled)
        for cut in range(len(segments) - 1, 1, -1):
            parent = "/" + "/".join(segments[:cut])
            if self.rows(parent):
                return parent, self.rows(parent)
        raise LookupError(f"nothing lists the objects of {path}")

    def fill(self, template: str) -> str:
        segments, chosen = [], {}
        for segment in template.strip("/").split("/"):
            match = re.fullmatch(r"\{(\w+)\}", segment)
            if not match:
                segments.append(segment)
                continue
            name = match.group(1)
            try:
                collection, rows = self._collection(segments)
            except LookupError as exc:
                raise LookupError(f"{template}: {{{name}}}: {exc}") from None
            row = chosen.setdefault(collection, rows[0])
            value = row[name] if name in row else row.get("id")
            if not isinstance(value, str) or not value:
                raise LookupError(f"{template}: {{{name}}}: no value in {collection}")
            segments.append(value)
        return "/" + "/".join(segments)


def tenancy_violations(schema, owner: Api, other: Api, *, prefix: str = "/v1/") -> list:
    """Another account's token (every scope) on the owner's objects: every operation with a
    path id is a 404 `not_found` and changes nothing; every list, plain and with each filter,
    shows none of the owner's rows (the other account has none of its own)."""
    filler = Filler(owner, schema)
    wrong = []
    for method, template, op in operations(schema, prefix):
        if "{" not in template:
            continue
        path = filler.fill(template)
        if method == "GET" and owner.get(path).status_code != 200:
            wrong.append((method, template, "the owner cannot read it", path))
            continue
        before = snapshot()
        response = other.call(method, path, example_body(op) if method != "GET" else None)
        code = response.json().get("error", {}).get("code") if response.status_code < 500 else None
        if (response.status_code, code) != (404, "not_found"):
            wrong.append((method, template, response.status_code, code))
        if snapshot() != before:
            wrong.append((method, template, "changed state"))
    for template in filler.lists:
        if "{" in template or not template.startswith(prefix):
            continue
        for params, matches in filters(schema, template, filler.rows(template) or [{}]):
            if matches and not (owner.get(template, params).json().get("data")):
                # the check below would prove nothing for this filter
                wrong.append(("GET", template, params, "matches none of the owner's rows"))
            response = other.get(template, params)
            rows = response.json().get("data") if response.status_code == 200 else None
            if response.status_code != 200 or rows:
                wrong.append(("GET", template, params, response.status_code, rows))
    return wrong


def filters(schema, template: str, rows: list) -> list[tuple[dict, bool]]:
    """(params, matches): the plain list, then each filter alone, with a value taken from the
    owner's first row where it has one (its field of that name, of `<name>_id`, or of the name
    without `_lte`/`_gte`; such a filter `matches` the owner's rows), else a date every row is
    after, the first value of its enum, or a value of its type."""
    row = rows[0]
    out = [({}, True)]
    for param in schema["paths"][template]["get"].get("parameters", []):
        name = param["name"]
        if param["in"] != "query" or name in NOT_FILTERS:
            continue
        base = re.sub(r"_(lte|gte|lt|gt)$", "", name)
        value = next((row[k] for k in (name, f"{name}_id", base) if row.get(k) is not None), None)
        matches = value is not None and not isinstance(value, dict | list)
        schema_of = param.get("schema", {})
        enum = schema_of.get("enum") or schema_of.get("items", {}).get("enum")
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif name.endswith(("_after", "_since")):
            value, matches = "2000-01-01", True
        elif name.endswith("_before"):
            value, matches = "2999-12-31", True
        elif not matches:
            value = enum[0] if enum else "0" if schema_of.get("type") == "integer" else "x"
        out.append(({name: str(value)}, matches))
    return out


def scope_violations(schema, account, owner: Api, *, prefix: str = "/v1/") -> list:
    """Every operation without any scope that grants it is a 403 `insufficient_scope` and
    changes nothing; with one that grants it, it is not a 401 or 403; with no token, 401."""
    from rest_framework.test import APIClient

    filler = Filler(owner, schema)
    ops = [(m, t, op, filler.fill(t)) for m, t, op in operations(schema, prefix)]
    clients: dict[tuple, Api] = {}

    def client(scopes) -> Api:
        key = tuple(sorted(scopes))
        if key not in clients:
            clients[key] = Api(account, list(key))
        return clients[key]

    wrong = []
    for method, template, op, path in ops:
        granting = granting_scopes(op)
        body = example_body(op) if method != "GET" else None
        before = snapshot()
        refused = client([s for s in ALL_SCOPES if s not in granting]).call(method, path, body)
        code = refused.json().get("error", {}).get("code") if refused.status_code < 500 else None
        if (refused.status_code, code) != (403, "insufficient_scope"):
            wrong.append((method, template, "without scope", refused.status_code, code))
        anonymous = getattr(APIClient(), method.lower())(path, body, format="json")
        if anonymous.status_code != 401:
            wrong.append((method, template, "anonymous", anonymous.status_code))
        if snapshot() != before:
            wrong.append((method, template, "changed state without its scope"))
    for method, template, op, path in ops:
        for scope in granting_scopes(op):
            body = example_body(op) if method != "GET" else None
            allowed = client([scope]).call(method, path, body)
            if allowed.status_code in (401, 403) or allowed.status_code >= 500:
                wrong.append((method, template, scope, allowed.status_code, allowed.content[:200]))
    return wrong


def _properties(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node.get("properties", {})


def read_only_fields(schema: dict, op: dict) -> list[str]:
    """Fields of what the operation answers (or marked readOnly) that its body cannot set."""
    body = op["requestBody"]["content"]["application/json"]["schema"]
    writable = {n for n, p in _properties(schema, body).items() if not p.get("readOnly")}
    answered = set()
    for status, response in op["responses"].items():
        content = response.get("content", {}).get("application/json")
        if status.startswith("2") and content:
            answered |= set(_properties(schema, content["schema"]))
    marked = {n for n, p in _properties(schema, body).items() if p.get("readOnly")}
    return sorted((answered - writable) | marked)


READ_ONLY_VALUES = ("ro_0000000000000000000", 7, True)


def read_only_violations(schema, owner: Api, *, prefix: str = "/v1/") -> tuple[list, int]:
    """Each write with a body, sent with one read-only field added to its example: a 400
    `validation_error` naming the field, with nothing changed. Returns (violations, sent)."""
    filler = Filler(owner, schema)
    wrong, sent = [], 0
    for method, template, op in operations(schema, prefix):
        if method not in ("POST", "PATCH", "PUT") or "requestBody" not in op:
            continue
        path = filler.fill(template)
        for name in read_only_fields(schema, op):
            for value in READ_ONLY_VALUES:
                before = snapshot()
                response = owner.call(method, path, {**(example_body(op) or {}), name: value})
                sent += 1
                error = response.json().get("error", {}) if response.status_code < 500 else {}
                if (response.status_code, error.get("code"), error.get("field")) != (
                    400,
                    "validation_error",
                    name,
                ):
                    wrong.append((method, template, name, value, response.status_code, error))
                elif snapshot() != before:
                    wrong.append((method, template, name, value, "changed state"))
    return wrong, sent
