"""S2: SQL statements of one order create (the whole POST /v1/orders request, in-process
through Django's test client and every middleware) and of one allocation (the Celery task's
body), for 1 and for 20 lines. Counted with CaptureQueriesContext; BEGIN/COMMIT are not
statements Django logs, so transactions are counted at the connection and added (2 each)."""

import json
import re
from collections import Counter

from bench.harness.data import Catalog

_VERB = re.compile(r'^\s*(\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?)?', re.S | re.I)


def _kind(sql: str) -> str:
    m = _VERB.match(sql)
    if not m:
        return sql[:20]
    verb = m.group(1).upper()
    if verb in {"SAVEPOINT", "RELEASE", "ROLLBACK"}:
        return verb
    if verb == "UPDATE":
        table = re.match(r'\s*UPDATE\s+"?(\w+)"?', sql, re.I).group(1)
        return f"UPDATE {table}"
    table = m.group(2) or ""
    return f"{verb} {table}".strip()


class TxCounter:
    """Counts commits and rollbacks of the default connection while active."""

    def __init__(self, connection):
        self.connection = connection
        self.commits = 0
        self.rollbacks = 0

    def __enter__(self):
        conn = self.connection
        self._commit, self._rollback = conn.commit, conn.rollback

        def commit():
            self.commits += 1
            return self._commit()

        def rollback():
            self.rollbacks += 1
            return self._rollback()

        conn.commit, conn.rollback = commit, rollback
        return self

    def __exit__(self, *exc):
        del self.connection.commit, self.connection.rollback


def _measure(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with TxCounter(connection) as tx, CaptureQueriesContext(connection) as q:
        result = fn()
    kinds = Counter(_kind(item["sql"]) for item in q.captured_queries)
    transactions = tx.commits + tx.rollbacks
    return result, {
        "statements": len(q.captured_queries),
        "transactions": transactions,
        "with_begin_commit": len(q.captured_queries) + 2 * transactions,
        "sql_ms": round(sum(float(item["time"]) for item in q.captured_queries) * 1000, 1),
        "kinds": dict(kinds.most_common()),
    }


def run(cat: Catalog, lines_options=(1, 20)) -> dict:
    from django.test import Client

    from orders.models import Order
    from orders.services.allocation import allocate_requested
    from vectis.accounts.models import Account
    from vectis.accounts.services import api_client_create

    account = Account.objects.get(pk=cat.account_id)
    issued = api_client_create(account=account, name="s2", scopes=["orders:write", "orders:read"])
    http = Client()
    response = http.post(
        "/oauth/token",
        json.dumps(
            {
                "grant_type": "client_credentials",
                "client_id": issued.client.client_id,
                "client_secret": issued.client_secret,
            }
        ),
        content_type="application/json",
    )
    token = response.json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    results = {}
    for n in lines_options:
        for warm in (True, False):  # the first request of a kind warms caches (content types…)
            body = order_body(cat.skus[:n], f"S2-{n}-{'w' if warm else 'm'}")

            def create(body=body):
                return http.post(
                    "/v1/orders", json.dumps(body), content_type="application/json", **auth
                )

            response, create_stats = _measure(create)
            if response.status_code != 201:
                raise SystemExit(f"S2 create failed: {response.status_code} {response.content!r}")
            order_pk = Order.objects.get(public_id=response.json()["id"]).pk
            outcome, alloc_stats = _measure(lambda pk=order_pk: allocate_requested(pk))
            status = Order.objects.get(pk=order_pk).status
            if not warm:
                results[n] = {
                    "create": create_stats,
                    "allocate": alloc_stats,
                    "allocation_outcome": outcome,
                    "status_after": status,
                }
    return results


def order_body(skus: list[str], external_id: str) -> dict:
    return {
        "external_id": external_id,
        "channel": "web",
        "currency": "USD",
        "ship_to": {
            "name": "Bench Buyer",
            "address1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
        "items": [{"sku": sku, "quantity": 1, "price": "10.00"} for sku in skus],
    }
