"""S5/S5b: paged lists against the same SELECT."""

import statistics
import time

from bench.harness import data, load, stack
from bench.harness.scenarios.common import (
    Ctx,
)
from bench.harness.stats import p


# --- S5 / S5b -------------------------------------------------------------------------------------
def s5(ctx: Ctx) -> dict:
    """Lists on many orders of one account. S5: a deep sync walks by cursor; p95 of the page
    at row N/2 vs the first page. S5b: the first page with meta.total (page mode) vs the page
    right after it by cursor (no total), per_page 1 and 100. OFFSET pages are kept as the
    before/after comparison of browsing."""
    prof = ctx.profile
    cat = data.make_catalog(data.unique_name("S5"), skus=100)
    tok = stack.token(ctx.cfg, cat.account_name)
    ctx.log(f"  building {prof.s5_orders:,} orders by COPY…")
    build_s = data.copy_orders(ctx.cfg, cat, prof.s5_orders)
    ctx.log(f"  built in {build_s:.1f}s")
    n = prof.s5_orders
    rows_at = {"first": 0, "middle": n // 2, "deep": n * 29 // 30}
    out = {"orders": n, "build_s": build_s, "pages": {}}
    base = f"{ctx.cfg.base_url}/v1/orders"
    load.timed_get(f"{base}?per_page=100", tok, repeat=2)  # warm

    def measure(label: str, url: str, row: int, per_page: int) -> dict:
        times = load.timed_get(url, tok, repeat=prof.s5_requests)
        out["pages"][label] = {
            "p50_ms": statistics.median(times),
            "p95_ms": p(times, 95),
            "max_ms": max(times),
            "per_page": per_page,
            "row": row,
        }
        ctx.log(f"  {label}: p95 {p(times, 95):.1f} ms")
        return out["pages"][label]

    for per_page in (100, 1):
        for name, row in rows_at.items():
            page = row // per_page + 1
            measure(
                f"page per_page={per_page} {name} (row {row:,}, page {page})",
                f"{base}?per_page={per_page}&page={page}",
                row,
                per_page,
            )
        for name, row in rows_at.items():
            cursor = order_cursor(cat, max(row, per_page) - 1)
            measure(
                f"cursor per_page={per_page} {name} (after row {max(row, per_page):,})",
                f"{base}?per_page={per_page}&cursor={cursor}",
                max(row, per_page),
                per_page,
            )
    pages = out["pages"]

    def p95(prefix: str) -> float:
        return next(v["p95_ms"] for k, v in pages.items() if k.startswith(prefix))

    out["s5_ratio"] = p95("cursor per_page=100 middle") / p95("page per_page=100 first")
    out["s5b_ratio"] = {
        per_page: p95(f"page per_page={per_page} first") / p95(f"cursor per_page={per_page} first")
        for per_page in (100, 1)
    }
    out["sql_split"] = list_sql_split(ctx, cat, rows_at)
    return out


def order_cursor(cat, offset: int) -> str:
    """The cursor after the order at `offset` in the list's default sort, made here with the
    server's code and keys (walking there by HTTP would take thousands of requests)."""
    from orders.models import Order
    from vectis.api.pagination import Keyset

    ordered = Order.objects.filter(account_id=cat.account_id).order_by("-created_at", "-pk")
    keyset = Keyset.of(ordered)
    return keyset.token(ordered[offset])


def list_sql_split(ctx: Ctx, cat, rows_at: dict) -> dict:
    """In-process, the list request's SQL: the COUNT(*) for meta.total vs the page's rows."""
    import json as _json

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from vectis.accounts.models import Account
    from vectis.accounts.services import api_client_create

    account = Account.objects.get(pk=cat.account_id)
    issued = api_client_create(account=account, name="s5", scopes=["orders:read"])
    http = Client()
    token = http.post(
        "/oauth/token",
        _json.dumps(
            {
                "grant_type": "client_credentials",
                "client_id": issued.client.client_id,
                "client_secret": issued.client_secret,
            }
        ),
        content_type="application/json",
    ).json()["access_token"]
    out = {}
    for per_page in (1, 100):
        for name, row in rows_at.items():
            page = row // per_page + 1
            samples = []
            for _ in range(3):
                with CaptureQueriesContext(connection) as q:
                    started = time.perf_counter()
                    response = http.get(
                        f"/v1/orders?per_page={per_page}&page={page}",
                        HTTP_AUTHORIZATION=f"Bearer {token}",
                    )
                    total_ms = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"S5 list: {response.status_code} {response.content!r}")

                # meta.total: the bounded COUNT(*) and, above its limit, the EXPLAIN estimate
                def for_total(sql: str) -> bool:
                    return "COUNT(*)" in sql or sql.startswith("EXPLAIN")

                count_ms = sum(
                    float(x["time"]) * 1000 for x in q.captured_queries if for_total(x["sql"])
                )
                rows_ms = sum(
                    float(x["time"]) * 1000
                    for x in q.captured_queries
                    if ("orders_order" in x["sql"] or "orders_orderline" in x["sql"])
                    and not for_total(x["sql"])
                )
                samples.append((total_ms, count_ms, rows_ms, len(q.captured_queries)))
            samples.sort()
            total_ms, count_ms, rows_ms, statements = samples[len(samples) // 2]
            out[f"per_page={per_page} {name}"] = {
                "request_ms": round(total_ms, 1),
                "count_sql_ms": round(count_ms, 1),
                "rows_sql_ms": round(rows_ms, 1),
                "statements": statements,
            }
            ctx.log(
                f"  in-process per_page={per_page} {name}: {out[f'per_page={per_page} {name}']}"
            )
    connection.close()
    return out
