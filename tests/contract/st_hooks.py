"""Schemathesis hooks of the contract run (tests/contract/run.py): what the API requires that
JSON Schema cannot state, so the fuzzer does not mistake it for a disagreement.

- An Idempotency-Key sent again with another body is a 422 by design: each generated key
  that is valid is made unique.
- A `cursor` is valid only as the server issued it (`meta.next_cursor`); `page` and `cursor`
  are not sent together: a generated valid cursor is dropped. So is a generated sync `token`
  of `/v1/events/sync` (only `meta.next_token` or a snapshot's `sync_token` is one): without
  it the call starts from now.
- Bodies refer to objects of the account (SKUs, ids); unknown ones are a 400 naming the
  field. A generated valid reference is replaced by a real one of the seeded account
  (VECTIS_CONTRACT_REFS, a JSON object written by run.py), also when a stateful link put
  another one there (a location must be in the warehouse named with it). A line named by id
  (`line_id`, `order_line_id`, which the fuzzer cannot know) is named by its SKU instead, the
  other form the same body takes.
- The SKU of a product being created is its own, not a reference: left as generated, made
  distinct within a batch; a kit lists a component once (uniqueness of one key across array
  items is beyond JSON Schema). A bulk item without a name gets one: whether it creates a
  product (name required) or updates one depends on the account's SKUs; and a valid SKU:
  items are validated one by one (an invalid one is a result in a 200), so their schema
  states only that each has a SKU, while atomic=true refuses the request for one bad item:
  there, items are reduced to a SKU and a name (non-atomic, a bad item is a result).
- A barcode's check digit and an order's total (line prices times quantities, plus totals,
  at most 9,999,999,999, the discount at most the rest) are rules across digits and fields:
  a valid barcode is sent, an order whose total would exceed the bound gets prices of 1, a
  discount above the rest is 0, and lines changed by PATCH cost at most 1. A PATCH item
  named by SKU is a new line, which needs a quantity of at least 1 (0 removes a line named by
  id; which items are new depends on the order).
- `metadata` is any JSON object but without NUL characters or lone surrogates and with
  integers within 64 bits (its description says so; nested keys are beyond its schema):
  those characters are dropped, larger integers sent as 0.
- JSON Schema counts 1.0 as an integer, the API does not (a JSON integer only): whole
  floats are sent as integers.
- A package comes from allocation, never from a create: `PATCH /v1/packages/{id}` (allowed
  only while pending) goes to the seeded pending package.
- Webhook URLs point at the local stub only (VECTIS_CONTRACT_STUB), so nothing is sent
  elsewhere.
"""

import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta

import schemathesis

from vectis.jsonvalues import UNSTORABLE_TEXT_RE

SKU = re.compile(r"[A-Za-z0-9._\-]{1,64}")
REFS = json.loads(os.environ.get("VECTIS_CONTRACT_REFS", "{}"))
STUB = os.environ.get("VECTIS_CONTRACT_STUB", "http://127.0.0.1:9/")


def _valid_text(value) -> bool:
    return isinstance(value, str) and value.strip() != "" and "\x00" not in value


def _refer(value, key):
    if key in REFS and _valid_text(value):
        return REFS[key]
    return value


LINE_KEYS = ("line_id", "order_line_id")


def _walk(node, own_sku: bool = False):
    """Replace references by real ones; `own_sku`: this object's `sku` names the product it
    creates (POST /v1/products, each of a bulk), not a reference."""
    if isinstance(node, dict):
        for key in LINE_KEYS:
            if _valid_text(node.get(key)) and "sku" not in node and "sku" in REFS:
                del node[key]
                node["sku"] = REFS["sku"]
                if node.get("quantity") == 0:  # removes a line by id; a new line needs 1
                    node["quantity"] = 1
        for key, value in node.items():
            if isinstance(value, dict | list):
                _walk(value)
            elif not (own_sku and key == "sku"):
                node[key] = _whole(_refer(value, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict | list):
                _walk(item)
            else:
                node[index] = _whole(item)


def _whole(value):
    # JSON Schema counts 1.0 as an integer; the API reads only a JSON integer as one (a
    # number field takes either).
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    # metadata takes any JSON but integers within 64 bits (its description says so)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return 0
    return value


def _products(path: str, body, atomic: bool = False) -> list[dict]:
    if path in ("/v1/products", "/v1/products/{id}") and isinstance(body, dict):
        return [body]
    if path == "/v1/products/bulk" and isinstance(body, dict):
        items = [p for p in body.get("products") or [] if isinstance(p, dict)]
        if atomic:
            # all or nothing: every item is a valid product (a SKU and a name)
            for item in items:
                for key in [k for k in item if k not in ("sku", "name")]:
                    del item[key]
        for index, item in enumerate(items):
            # a valid SKU and a name: whether the item creates a product (name required) or
            # updates one is the account's state, beyond the item's schema
            if not (isinstance(item.get("sku"), str) and SKU.fullmatch(item["sku"])):
                item["sku"] = f"ST-BULK-{index}"
            name = item.get("name")
            if not (_valid_text(name) and len(name) <= 300):
                item["name"] = "contract"
        return items
    return []


def _storable(node):
    """metadata: no NUL or lone surrogate in keys or strings (its description says so)."""
    if isinstance(node, dict):
        return {UNSTORABLE_TEXT_RE.sub("", k): _storable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_storable(v) for v in node]
    return UNSTORABLE_TEXT_RE.sub("", node) if isinstance(node, str) else node


def _distinct_skus(products: list[dict]) -> None:
    """A SKU once per batch, a component once per kit (400 duplicate_sku and
    duplicate_component: uniqueness of one key across items, which JSON Schema cannot say)."""
    seen = set()
    for index, product in enumerate(products):
        sku = product.get("sku")
        if isinstance(sku, str) and sku in seen:
            product["sku"] = f"{sku[:56]}-d{index}"
        seen.add(product.get("sku"))
        components = product.get("components")
        if isinstance(components, list):
            kept, skus = [], set()
            for component in components:
                key = component.get("sku") if isinstance(component, dict) else None
                if key not in skus:
                    kept.append(component)
                    skus.add(key)
            product["components"] = kept


@schemathesis.hook
def map_case(ctx, case):
    """On cases meant to be valid only (a negative case keeps what makes it invalid). The case
    hook, not the per-part ones: the coverage phase applies only case hooks."""
    return _valid_case(case)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Again right before sending: stateful links fill values in after map_case."""
    _valid_case(case)


def _valid_case(case):
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is not None and str(mode) != "positive":
        return case
    if case.headers and _valid_text(case.headers.get("Idempotency-Key")):
        case.headers["Idempotency-Key"] = f"st-{uuid.uuid4().hex}"
    if case.query and "cursor" in case.query and _valid_text(case.query["cursor"]):
        del case.query["cursor"]
    if case.path == "/v1/events/sync" and case.query and _valid_text(case.query.get("token")):
        del case.query["token"]
    if case.path == "/v1/webhooks/{id}/recover" and isinstance(case.body, dict):
        # `since` must be within the delivery log's retention (a rule against the clock)
        case.body["since"] = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    if (case.method.upper(), case.path) == (
        "PATCH",
        "/v1/packages/{id}",
    ) and "pending_package_id" in REFS:
        # packages come from allocation, not from an operation that creates them: a PATCH is
        # sent to the seeded pending package (the only state it is allowed in)
        case.path_parameters["id"] = REFS["pending_package_id"]
    body = case.body
    url = body.get("url") if isinstance(body, dict) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        body["url"] = STUB
    atomic = str((case.query or {}).get("atomic")).lower() in ("true", "1")
    products = _products(case.path, body, atomic)
    for holder in [body, *products, *_orders(case.path, body)]:
        if isinstance(holder, dict) and isinstance(holder.get("metadata"), dict):
            holder["metadata"] = _storable(holder["metadata"])
    if products:
        for product in products:
            _walk(product, own_sku=True)
        _distinct_skus(products)
    elif isinstance(body, dict | list):
        _walk(body)
    for order in _orders(case.path, body):
        _bound_total(order)
    if case.method.upper() == "PATCH" and case.path == "/v1/orders/{id}":
        _bound_prices(body)
        _new_lines_need_units(body)
    return case


def _new_lines_need_units(body) -> None:
    """An item named by SKU adds a line, which needs a quantity of at least 1 (0 removes a
    line, named by its id): which items are new depends on the order's lines."""
    items = body.get("items") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        named_by_id = isinstance(item, dict) and any(
            _valid_text(item.get(key)) for key in LINE_KEYS
        )
        if (
            isinstance(item, dict)
            and "sku" in item
            and item.get("quantity") == 0
            and not named_by_id
        ):
            item["quantity"] = 1


def _bound_prices(body) -> None:
    """Changed lines of an order keep its total within the bound: prices of at most 1."""
    items = body.get("items") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and "price" in item:
            item["price"] = "1"


def _orders(path: str, body):
    if not isinstance(body, dict):
        return []
    if path == "/v1/orders":
        return [body]
    if path == "/v1/orders/bulk" and isinstance(body.get("orders"), list):
        return [o for o in body["orders"] if isinstance(o, dict)]
    return []


def _bound_total(order: dict) -> None:
    items = [i for i in order.get("items", []) if isinstance(i, dict)]
    total = 0.0
    for item in items:
        try:
            total += float(item.get("price", 0)) * float(item.get("quantity", 0))
        except (TypeError, ValueError):
            return
    for value in (order.get("totals") or {}).values():
        try:
            total += abs(float(value))
        except (TypeError, ValueError):
            return
    totals = order.get("totals")
    if total > 9_999_999_999 - 1_000_000:
        for item in items:
            item["price"] = "1"
        if isinstance(totals, dict):
            order["totals"] = totals = {k: "0" for k in totals}
    if isinstance(totals, dict) and "discount" in totals:
        # a discount may not exceed the subtotal, shipping and tax (400 negative_total)
        try:
            rest = total - 2 * abs(float(totals["discount"]))
        except (TypeError, ValueError):
            return
        if rest < 0:
            totals["discount"] = "0"
