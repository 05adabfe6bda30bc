"""Shared by the hostile-input tests: the world they run against, the tables of bad input and
the check that a refusal is a 400 naming the field with nothing changed.

The query-parameter tables come from the OpenAPI schema (every list endpoint and its
parameters), so a new list or filter is covered without editing the tests; the body tables
name every write endpoint that takes an integer, money, date-time or string field.
"""

import itertools
import re
from dataclasses import dataclass

from drf_spectacular.generators import SchemaGenerator

from catalog.models import Product
from inventory.models import Reservation, StockLevel, StockMovement
from orders.models import Order, OrderLine, Package
from returns.models import Return
from tests import factories
from tests.helpers import Api, error_of
from warehouses.models import Location, Warehouse
from webhooks.models import Event, WebhookEndpoint

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


# --- the world every test runs against -------------------------------------------------------
@dataclass
class World:
    api: Api
    warehouse: str  # wh_…
    bin: str  # loc_… (a second pickable bin of the warehouse)
    product: str  # prd_… of SKU A
    pending: str  # ord_…: A x2, pending
    pending_line: str
    allocated: str  # ord_…: A x3, allocated, one pending package
    allocated_line: str
    package: str  # pkg_… pending (of `allocated`)
    shipped: str  # ord_…: A x3 + B x1, shipped
    shipped_package: str
    requested: str  # ret_…: requested
    authorized: str  # ret_…: authorized
    received: str  # ret_…: received
    webhook: str  # whk_…

    def ids(self) -> dict[str, str]:
        return {
            "id": self.pending,
            "warehouse_id": self.warehouse,
            "webhook_id": self.webhook,
            "product_id": self.product,
        }


def created(response, status=(200, 201)):
    assert response.status_code in status, response.content
    return response.json()


STATE_MODELS = (
    Product,
    Warehouse,
    Location,
    StockLevel,
    StockMovement,
    Reservation,
    Order,
    OrderLine,
    Package,
    Return,
    Event,
    WebhookEndpoint,
)


def snapshot() -> dict:
    """Every row of every table a write could touch."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in STATE_MODELS}


def assert_refused(response, field: str, *, code: str = "validation_error"):
    assert response.status_code == 400, (field, response.status_code, response.content)
    error = error_of(response)
    assert (error["code"], error["field"]) == (code, field), error


def refusals(world, method: str, path: str, body_for, field: str, values) -> list:
    """Send each bad value; return what was not a 400 naming `field` with nothing changed."""
    wrong = []
    for value in values:
        before = snapshot()
        response = world.api.call(method, path, body_for(value))
        error = response.json().get("error", {}) if response.status_code < 500 else {}
        if (response.status_code, error.get("code"), error.get("field")) != (
            400,
            "validation_error",
            field,
        ):
            wrong.append((value, response.status_code, error.get("field") or response.content))
        elif snapshot() != before:
            wrong.append((value, "changed state"))
    return wrong


def deep(depth: int, leaf=1):
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


BAD_BODY_DATES = [
    "0519-08-10T00:00:00Z",
    "0001-01-01T00:00:00-05:00",
    "1000-01-01T00:00:00+01:00",
    "9999-12-31T23:00:00-05:00",
    "2026-01-01T00:00:00+24:00",
    "2026-02-30T00:00:00Z",
    "2026-W01-1T00:00:00Z",
    "20260101T000000Z",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "2026-01-01T00:00Z",
    "2026-01-01T00:00:00.1234567Z",
    1767225600,
    "",
]


_serial = itertools.count(1)


def new(prefix: str) -> str:
    """A fresh external id, SKU or code, so that accepted requests never collide."""
    return f"{prefix}-{next(_serial)}"


def order_body(**overrides) -> dict:
    """A new order (a fresh external id) of one A at 10.00, with `overrides`."""
    fields = {"external_id": new("NEW"), "items": [{"sku": "A", "quantity": 1, "price": "10.00"}]}
    return factories.order_body(**{**fields, **overrides})


def _list_operations() -> list[tuple[str, dict]]:
    """(path, GET operation) of every paginated list in the schema."""
    out = []
    for path, ops in SCHEMA["paths"].items():
        get = ops.get("get")
        names = {p["name"] for p in (get or {}).get("parameters", []) if p["in"] == "query"}
        if get and "page" in names:
            out.append((path, get))
    return out


LIST_OPERATIONS = _list_operations()


def _enum(param: dict) -> list | None:
    schema = param["schema"]
    return schema.get("enum") or schema.get("items", {}).get("enum")


def _is_date(param: dict) -> bool:
    schema = param["schema"]
    return schema.get("format") == "date-time" or bool(
        re.search(r"_(after|before)$", param["name"])
    )


def _is_list(param: dict) -> bool:
    return param["schema"].get("type") == "array"


BAD_DATES = [
    "0519-08-10",
    "0519-08-10T00:00:00Z",
    "0001-01-01T00:00:00-05:00",
    "1000-01-01T00:00:00+01:00",
    "9999-12-31T23:00:00-05:00",
    "2026-02-30",
    "2026-13-01",
    "2026-01-01T10:00:00+25:00",
    "2026-01-01T00:00:00+24:00",
    "2026-W01-1",
    "20260101",
    "2026-01-01T00:00:00 05:00",  # an unencoded "+"
    "2026-01-01T00:00:00.1234567Z",
    "yesterday",
    "2026-01-01%",
]
GOOD_DATES = [
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+16:00",
    "2026-01-01T00:00:00-16:00",
    "9999-12-31T00:00:00+05:00",
    "1000-01-01T00:00:00-01:00",
]


def bad_query_values(param: dict) -> list[str]:
    values = [""]
    choices = _enum(param)
    if choices:
        values += ["bogus", "100%", choices[0].upper(), f"{choices[0]},bogus", f"{choices[0]},"]
        if "cancelled" in choices:
            values.append("canceled")
    if _is_date(param):
        values += BAD_DATES
    kind = param["schema"].get("type")
    if kind == "boolean":
        values += ["maybe", "TRUE-ish"]
    if kind == "integer":
        values += ["1.5", "0x10", "ten"]
    return values


QUERY_PARAMS = [
    (path, param)
    for path, operation in LIST_OPERATIONS
    for param in operation.get("parameters", [])
    if param["in"] == "query"
]
FILTER_CASES = [
    (path, param["name"], value)
    for path, param in QUERY_PARAMS
    for value in bad_query_values(param)
]


def fill(path: str, ids: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
