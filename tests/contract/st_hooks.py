"""Schemathesis hooks of the contract run (tests/contract/run.py): what the API requires that
JSON Schema cannot state, so the fuzzer does not mistake it for a disagreement.

- An Idempotency-Key sent again with another body is a 422 by design: each generated key
  that is valid is made unique.
- A `cursor` is valid only as the server issued it (`meta.next_cursor`); `page` and `cursor`
  are not sent together: a generated valid cursor is dropped.
- Bodies refer to objects of the account (SKUs, ids); unknown ones are a 400 naming the
  field. A generated valid reference is replaced by a real one of the seeded account
  (VECTIS_CONTRACT_REFS, a JSON object written by run.py).
- A barcode's check digit and an order's total (line prices times quantities, plus totals,
  at most 9,999,999,999) are rules across digits and fields: a valid barcode is sent, and
  an order whose total would exceed the bound gets prices of 1.
- JSON Schema counts 1.0 as an integer, the API does not (a JSON integer only): whole
  floats are sent as integers.
- Webhook URLs point at the local stub only (VECTIS_CONTRACT_STUB), so nothing is sent
  elsewhere.
"""

import json
import os
import uuid

import schemathesis

REFS = json.loads(os.environ.get("VECTIS_CONTRACT_REFS", "{}"))
STUB = os.environ.get("VECTIS_CONTRACT_STUB", "http://127.0.0.1:9/")


def _valid_text(value) -> bool:
    return isinstance(value, str) and value.strip() != "" and "\x00" not in value


def _refer(value, key):
    if key in REFS and _valid_text(value):
        return REFS[key]
    return value


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                _walk(value)
            else:
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
    return value


@schemathesis.hook
def map_case(ctx, case):
    """On cases meant to be valid only (a negative case keeps what makes it invalid). The case
    hook, not the per-part ones: the coverage phase applies only case hooks."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is not None and str(mode) != "positive":
        return case
    if case.headers and _valid_text(case.headers.get("Idempotency-Key")):
        case.headers["Idempotency-Key"] = f"st-{uuid.uuid4().hex}"
    if case.query and "cursor" in case.query and _valid_text(case.query["cursor"]):
        del case.query["cursor"]
    body = case.body
    url = body.get("url") if isinstance(body, dict) else None
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        body["url"] = STUB
    if isinstance(body, dict | list):
        _walk(body)
    for order in _orders(case.path, body):
        _bound_total(order)
    return case


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
    if total > 9_999_999_999 - 1_000_000:
        for item in items:
            item["price"] = "1"
        if isinstance(order.get("totals"), dict):
            order["totals"] = {k: "0" for k in order["totals"]}
