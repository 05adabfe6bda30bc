"""The scenarios of issue 13. Each takes the run context and returns a dict of results;
Vectis and its baselines are interleaved (A/B, then B/A) within every repetition."""

import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.harness import baselines, data, load, sqlcount, stack
from bench.harness.env import PYTHON, ROOT, Config
from bench.harness.stats import med, p, ratios


@dataclass
class Profile:
    name: str
    seconds: float  # one load run (S1, S3, S7)
    reps: int
    s1_clients: tuple = (8, 32)
    s3_clients: int = 64
    s3_hot_stock: int = 5000
    s3_hot_qty: int = 40
    s5_orders: int = 300_000
    s5_requests: int = 20
    s6_seconds: float = 60
    s7_endpoints: int = 200
    s7_attempt_cap: float = 180
    s7b_events: int = 10_000
    s7b_cap: float = 240
    s4_holds: int = 10_000
    s4_units: int = 1_000
    s4_expires_in: int = 120  # longer than the holds take to place, so none lapses meanwhile
    s8_rows: int = 100_000
    s8_order_rows: int = 1_000_000
    s8_reps: int = 3
    drain_cap: float = 300
    profile_seconds: float = 20


FULL = Profile("full", seconds=20, reps=3)
QUICK = Profile(
    "quick",
    seconds=5,
    reps=1,
    s3_hot_qty=100,
    s5_orders=20_000,
    s5_requests=15,
    s6_seconds=10,
    s7b_events=500,
    s7b_cap=60,
    s7_attempt_cap=150,
    s4_holds=2_000,
    s4_units=200,
    s4_expires_in=40,
    s8_rows=5_000,
    s8_order_rows=15_000,
    s8_reps=1,
    drain_cap=120,
    profile_seconds=8,
)


@dataclass
class Ctx:
    cfg: Config
    profile: Profile
    stack: stack.Stack
    log: callable
    shared: dict = field(default_factory=dict)

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.cfg.pg_dsn, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def one(self, query: str, params=()):
        return self.sql(query, params)[0][0]


# --- shared building blocks -----------------------------------------------------------------------
def uniform_catalog(ctx: Ctx, key: str, prefix: str = "SKU", skus: int = 100):
    """One 100-SKU catalog with ample stock (and a token) per key, made once per run; the
    token is renewed after 20 minutes (tokens live an hour; one scenario lasts up to 25)."""
    if key not in ctx.shared:
        cat = data.make_catalog(data.unique_name(key), skus=skus, prefix=prefix)
        creds = stack.client(ctx.cfg, cat.account_name)
        ctx.shared[key] = [cat, creds, stack.access_token(ctx.cfg, creds), time.monotonic()]
    entry = ctx.shared[key]
    if time.monotonic() - entry[3] > 1200:
        entry[2], entry[3] = stack.access_token(ctx.cfg, entry[1]), time.monotonic()
    return entry[0], entry[2]


def baseline_catalog(ctx: Ctx):
    if "bsql" not in ctx.shared:
        cat = data.make_catalog(data.unique_name("BSQL"), skus=100)
        script = baselines.render_script("order_tx.sql", cat, ctx.cfg.run_dir / "sql")
        ctx.shared["bsql"] = (cat, script)
    return ctx.shared["bsql"]


def last_order_id(ctx: Ctx, account_id: int) -> int:
    return ctx.one(
        "SELECT coalesce(max(id), 0) FROM orders_order WHERE account_id = %s", (account_id,)
    )


def post_orders(
    ctx: Ctx,
    cat,
    tok: str,
    *,
    clients: int,
    seconds: float,
    tag: str,
    hot_qty: int = 0,
    lines: int = 3,
) -> dict:
    env = {
        "BENCH_TOKEN": tok,
        "BENCH_SKUS": ",".join(cat.skus),
        "BENCH_TAG": tag,
        "BENCH_LINES": str(lines),
    }
    if hot_qty:
        env.update(BENCH_HOT_SKU=cat.hot_sku, BENCH_HOT_QTY=str(hot_qty))
    return load.wrk(ctx.cfg.base_url, "orders.lua", connections=clients, seconds=seconds, env=env)


def drain(ctx: Ctx, account_id: int, after_id: int, wall_start: float) -> dict:
    """Wait until no order of the run still waits for its allocation (bounded); then the
    end-to-end figures: orders allocated / (load start → last allocation)."""
    deadline = time.monotonic() + ctx.profile.drain_cap
    query = (
        "SELECT count(*), count(*) FILTER (WHERE allocation_due_at IS NOT NULL), "
        "count(*) FILTER (WHERE status = 'pending'), "
        "count(*) FILTER (WHERE status = 'allocated') FROM orders_order "
        "WHERE account_id = %s AND id > %s"
    )
    waited_from = time.monotonic()
    while True:
        total, due, pending, allocated = ctx.sql(query, (account_id, after_id))[0]
        if due == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    last = ctx.one(
        "SELECT extract(epoch FROM max(created_at)) FROM orders_orderevent WHERE account_id = %s "
        "AND order_id > %s AND type IN ('allocated', 'backordered')",
        (account_id, after_id),
    )
    span = (float(last) - wall_start) if last else None
    processed = total - pending
    return {
        "orders": total,
        "allocated": allocated,
        "processed": processed,
        "left_due": due,
        "left_pending": pending,
        "drained": due == 0,
        "drain_wait_s": round(time.monotonic() - waited_from, 1),
        "span_s": span,
        "e2e_per_s": (allocated / span) if span else None,
        "processed_per_s": (processed / span) if span else None,
    }


def server_errors(result: dict) -> int:
    return sum(n for status, n in result["statuses"].items() if status >= 500)


def run_vectis_orders(ctx: Ctx, cat, tok, clients: int, tag: str, hot_qty: int = 0) -> dict:
    before = last_order_id(ctx, cat.account_id)
    result = post_orders(
        ctx,
        cat,
        tok,
        clients=clients,
        seconds=ctx.profile.seconds,
        tag=tag,
        hot_qty=hot_qty,
        lines=2 if hot_qty else 3,  # hot orders: X and 2 uniform SKUs
    )
    accepted = result["statuses"].get(201, 0)
    if result["statuses"].get(401):
        raise SystemExit(f"{tag}: {result['statuses'][401]} answers 401 (token rejected)")
    out = {
        "accepted": accepted,
        "accepted_per_s": accepted / result["duration"],
        "statuses": result["statuses"],
        "errors": result["errors"],
        "latency_ms": result["latency_ms"],
        "server_errors": server_errors(result),
        "load_s": result["duration"],
        "loadavg": os.getloadavg(),
    }
    out["drain"] = drain(ctx, cat.account_id, before, result["wall_start"])
    ctx.log(
        f"  vectis c={clients} {tag}: {out['accepted_per_s']:.1f} accepted/s, "
        f"e2e {out['drain']['e2e_per_s'] or 0:.1f} allocated/s, statuses {result['statuses']}, "
        f"drained={out['drain']['drained']} in {out['drain']['drain_wait_s']}s"
    )
    return out


def run_bsql(ctx: Ctx, script: Path, clients: int, seconds: float) -> dict:
    r = baselines.pgbench(ctx.cfg, script, clients=clients, seconds=seconds)
    ctx.log(f"  B_sql c={clients} {script.name}: {r['tps']:.1f} tx/s (failed {r['failed']})")
    return r


def run_bpy(ctx: Ctx, cat, kind: str, clients: int, seconds: float) -> dict:
    r = baselines.b_py(ctx.cfg, cat, kind, clients=clients, seconds=seconds)
    ctx.log(f"  B_py c={clients} {kind}: {r['tps']:.1f} tx/s")
    return r


def interleave(rep: int, steps: list) -> list:
    """A/B in even repetitions, B/A in odd ones."""
    return steps if rep % 2 == 0 else list(reversed(steps))


# --- S1 / S1e -------------------------------------------------------------------------------------
def s1(ctx: Ctx) -> dict:
    cat, tok = uniform_catalog(ctx, "S1")
    bcat, script = baseline_catalog(ctx)
    out = {}
    for clients in ctx.profile.s1_clients:
        rows = {"vectis": [], "bsql": [], "bpy": []}
        for rep in range(ctx.profile.reps):
            tag = f"s1-c{clients}-r{rep}"
            steps = [
                ("vectis", lambda tag=tag, c=clients: run_vectis_orders(ctx, cat, tok, c, tag)),
                ("bsql", lambda c=clients: run_bsql(ctx, script, c, ctx.profile.seconds)),
                ("bpy", lambda c=clients: run_bpy(ctx, bcat, "order", c, ctx.profile.seconds)),
            ]
            for name, step in interleave(rep, steps):
                rows[name].append(step())
        v_acc = [r["accepted_per_s"] for r in rows["vectis"]]
        v_e2e = [r["drain"]["e2e_per_s"] for r in rows["vectis"]]
        b_sql = [r["tps"] for r in rows["bsql"]]
        b_py = [r["tps"] for r in rows["bpy"]]
        out[f"c{clients}"] = {
            "runs": rows,
            "accepted_per_s": med(v_acc),
            "e2e_allocated_per_s": med(v_e2e),
            "bsql_tps": med(b_sql),
            "bpy_tps": med(b_py),
            "accepted_over_bsql": ratios(v_acc, b_sql),
            "e2e_over_bsql": ratios(v_e2e, b_sql),
            "accepted_over_bpy": ratios(v_acc, b_py),
            "bpy_over_bsql": ratios(b_py, b_sql),
            "server_errors": sum(r["server_errors"] for r in rows["vectis"]),
            "latency_p50_ms": med([r["latency_ms"].get("p50") for r in rows["vectis"]]),
            "latency_p99_ms": med([r["latency_ms"].get("p99") for r in rows["vectis"]]),
            "all_drained": all(r["drain"]["drained"] for r in rows["vectis"]),
            "left_pending": sum(r["drain"]["left_pending"] for r in rows["vectis"]),
        }
    return out


# --- S2 -------------------------------------------------------------------------------------------
def s2(ctx: Ctx) -> dict:
    cat = data.make_catalog(data.unique_name("S2"), skus=20)
    return sqlcount.run(cat)


# --- S3 / S3b -------------------------------------------------------------------------------------
def deadlocks(ctx: Ctx) -> int:
    return ctx.one("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")


def s3(ctx: Ctx) -> dict:
    prof = ctx.profile
    ucat, utok = uniform_catalog(ctx, "S1")
    rows = {"hot": [], "uniform": []}
    for rep in range(prof.reps):
        cat = data.make_catalog(
            data.unique_name(f"S3-r{rep}"), skus=100, hot_stock=prof.s3_hot_stock
        )
        tok = stack.token(ctx.cfg, cat.account_name)

        def hot(cat=cat, tok=tok, rep=rep):
            time.sleep(11)  # let every backend flush its pending statistics first
            before = deadlocks(ctx)
            r = run_vectis_orders(
                ctx, cat, tok, prof.s3_clients, f"s3-hot-r{rep}", hot_qty=prof.s3_hot_qty
            )
            time.sleep(11)
            r["deadlocks"] = deadlocks(ctx) - before
            level_id = cat.extra["hot_level_id"]
            on_hand, reserved = ctx.sql(
                "SELECT on_hand, reserved FROM inventory_stocklevel WHERE id = %s", (level_id,)
            )[0]
            held = ctx.one(
                "SELECT coalesce(sum(quantity), 0) FROM inventory_reservation "
                "WHERE stock_level_id = %s AND status = 'active'",
                (level_id,),
            )
            allocated_units = ctx.one(
                "SELECT coalesce(sum(quantity_allocated), 0) FROM orders_orderline "
                "WHERE account_id = %s AND product_id = %s",
                (cat.account_id, cat.extra["hot_product_id"]),
            )
            r.update(
                hot_on_hand=on_hand,
                hot_reserved=reserved,
                hot_reservations=held,
                hot_units_allocated=allocated_units,
                hot_demand=r["drain"]["orders"] * prof.s3_hot_qty,
                oversold=max(0, reserved - on_hand, held - on_hand, allocated_units - on_hand),
                consistent=(held == reserved == allocated_units),
            )
            ctx.log(
                f"  hot: X allocated {allocated_units}/{on_hand} (reserved {reserved}, "
                f"reservations {held}), deadlocks {r['deadlocks']}, 5xx {r['server_errors']}"
            )
            return r

        def uniform(rep=rep):
            return run_vectis_orders(ctx, ucat, utok, prof.s3_clients, f"s3-uni-r{rep}")

        for name, step in interleave(rep, [("hot", hot), ("uniform", uniform)]):
            rows[name].append(step())
    hot_rate = [r["accepted_per_s"] for r in rows["hot"]]
    uni_rate = [r["accepted_per_s"] for r in rows["uniform"]]
    return {
        "runs": rows,
        "hot_accepted_per_s": med(hot_rate),
        "uniform_accepted_per_s": med(uni_rate),
        "hot_over_uniform": ratios(hot_rate, uni_rate),
        "hot_e2e_per_s": med([r["drain"]["processed_per_s"] for r in rows["hot"]]),
        "uniform_e2e_per_s": med([r["drain"]["e2e_per_s"] for r in rows["uniform"]]),
        "hot_e2e_over_uniform": ratios(
            [r["drain"]["processed_per_s"] for r in rows["hot"]],
            [r["drain"]["e2e_per_s"] for r in rows["uniform"]],
        ),
        "units_allocated": [r["hot_units_allocated"] for r in rows["hot"]],
        "demand": [r["hot_demand"] for r in rows["hot"]],
        "oversold": sum(r["oversold"] for r in rows["hot"]),
        "consistent": all(r["consistent"] for r in rows["hot"]),
        "server_errors": sum(r["server_errors"] for r in rows["hot"]),
        "statuses_hot": [r["statuses"] for r in rows["hot"]],
        "deadlocks": [r["deadlocks"] for r in rows["hot"]],
        "all_drained": all(r["drain"]["drained"] for r in rows["hot"] + rows["uniform"]),
    }


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


# --- S4 -------------------------------------------------------------------------------------------
def http_posts(base_url: str, token: str, path: str, bodies: list[dict], clients: int) -> list:
    """POST every body (`clients` keep-alive connections side by side); (status, json) each."""
    import http.client
    import json as _json
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    local = threading.local()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(body: dict):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
        conn.request("POST", path, body=_json.dumps(body), headers=headers)
        response = conn.getresponse()
        payload = response.read()
        return response.status, (_json.loads(payload) if payload else None)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(post, bodies))


def s4(ctx: Ctx) -> dict:
    """Flash sale: holds of 1 unit with `expires_in`, far more than the stock, from 32 clients;
    half of those placed are released, the rest left to lapse. Oversold: units held beyond the
    stock (by the API's answers and by the database); left: reservations still active 1 min
    after the last hold lapsed (the expiry sweep runs every 30 s)."""
    prof = ctx.profile
    cat = data.make_catalog(data.unique_name("S4"), skus=1, stock=prof.s4_units, prefix="FLASH")
    tok = stack.token(ctx.cfg, cat.account_name)
    sku = cat.skus[0]
    bodies = [
        {
            "reference": f"cart-{n}",
            "items": [{"sku": sku, "quantity": 1}],
            "expires_in": prof.s4_expires_in,
        }
        for n in range(prof.s4_holds)
    ]
    started = time.monotonic()
    answers = http_posts(ctx.cfg.base_url, tok, "/v1/inventory/reserve", bodies, clients=32)
    placed_s = time.monotonic() - started
    lapse_at = time.monotonic() + prof.s4_expires_in - placed_s
    statuses: dict[int, int] = {}
    for code, _ in answers:
        statuses[code] = statuses.get(code, 0) + 1
    held = [body["reservations"][0]["id"] for code, body in answers if code == 200]
    refused = sum(
        1 for code, body in answers if code == 409 and body["error"]["code"] == "insufficient_stock"
    )
    level = cat.level_ids[0]
    reserved_db, on_hand_db = ctx.sql(
        "SELECT reserved, on_hand FROM inventory_stocklevel WHERE id = %s", (level,)
    )[0]
    active_db = ctx.one(
        "SELECT count(*) FROM inventory_reservation WHERE account_id = %s AND status = 'active'",
        (cat.account_id,),
    )
    ctx.log(
        f"  {len(held)} held, {refused} refused in {placed_s:.1f}s; reserved {reserved_db} of "
        f"{on_hand_db}, active {active_db}"
    )
    releases = http_posts(
        ctx.cfg.base_url,
        tok,
        "/v1/inventory/release",
        [{"reservation_id": rid} for rid in held[::2]],
        clients=32,
    )
    released = sum(1 for code, _ in releases if code == 200)
    ctx.log(f"  released {released}; waiting for the rest to lapse and 1 min more…")
    time.sleep(max(0.0, lapse_at - time.monotonic()) + 60)
    left = ctx.one(
        "SELECT count(*) FROM inventory_reservation WHERE account_id = %s AND status = 'active'",
        (cat.account_id,),
    )
    reserved_end = ctx.one("SELECT reserved FROM inventory_stocklevel WHERE id = %s", (level,))
    expired = ctx.one(
        "SELECT count(*) FROM inventory_reservation WHERE account_id = %s AND status = 'expired'",
        (cat.account_id,),
    )
    ledger = verify_ledger(ctx, cat.account_name)
    return {
        "holds": prof.s4_holds,
        "units": prof.s4_units,
        "expires_in": prof.s4_expires_in,
        "placed_s": placed_s,
        "holds_per_s": prof.s4_holds / placed_s,
        "statuses": statuses,
        "held": len(held),
        "refused_insufficient": refused,
        "oversold_api": max(0, len(held) - prof.s4_units),
        "oversold_db": max(0, reserved_db - on_hand_db) + max(0, active_db - prof.s4_units),
        "released": released,
        "expired": expired,
        "left_active_1min_after": left,
        "reserved_at_end": reserved_end,
        "server_errors": sum(n for code, n in statuses.items() if code >= 500),
        "ledger": ledger,
    }


# --- S6 -------------------------------------------------------------------------------------------
def verify_ledger(ctx: Ctx, account_name: str) -> dict:
    r = stack.manage(ctx.cfg, "verify_stock_ledger", "--account", account_name, check=False)
    line = (r.stderr.strip().splitlines() or [""])[-1]
    import re

    m = re.search(r"(\d+) stock levels checked, (\d+) mismatches", line)
    return {
        "exit": r.returncode,
        "checked": int(m.group(1)) if m else None,
        "mismatches": int(m.group(2)) if m else None,
        "summary": line,
    }


def s6(ctx: Ctx) -> dict:
    prof = ctx.profile
    cat = data.make_catalog(data.unique_name("S6"), skus=10, stock=1_000_000, prefix="ADJ")
    tok = stack.token(ctx.cfg, cat.account_name)
    bcat = data.make_catalog(data.unique_name("S6B"), skus=10, stock=1_000_000, prefix="ADJ")
    script = baselines.render_script("adjust_tx.sql", bcat, ctx.cfg.run_dir / "sql")
    rows = {"vectis": [], "bpy": [], "bsql": []}
    env = {
        "BENCH_TOKEN": tok,
        "BENCH_SKUS": ",".join(cat.skus),
        "BENCH_WAREHOUSE": cat.warehouse_public_id,
    }

    def vectis():
        r = load.wrk(
            ctx.cfg.base_url, "adjust.lua", connections=32, seconds=prof.s6_seconds, env=env
        )
        ok = r["statuses"].get(200, 0)
        res = {
            "ok": ok,
            "per_s": ok / r["duration"],
            "statuses": r["statuses"],
            "server_errors": server_errors(r),
            "latency_ms": r["latency_ms"],
        }
        ctx.log(f"  vectis adjust c=32: {res['per_s']:.1f}/s, statuses {r['statuses']}")
        return res

    for rep in range(prof.reps):
        steps = [
            ("vectis", vectis),
            ("bpy", lambda: run_bpy(ctx, bcat, "adjust", 32, prof.s6_seconds)),
            ("bsql", lambda: run_bsql(ctx, script, 32, prof.s6_seconds)),
        ]
        for name, step in interleave(rep, steps):
            rows[name].append(step())
    v = [r["per_s"] for r in rows["vectis"]]
    b = [r["tps"] for r in rows["bpy"]]
    s = [r["tps"] for r in rows["bsql"]]
    return {
        "runs": rows,
        "vectis_per_s": med(v),
        "bpy_per_s": med(b),
        "bsql_per_s": med(s),
        "vectis_over_bpy": ratios(v, b),
        "vectis_over_bsql": ratios(v, s),
        "server_errors": sum(r["server_errors"] for r in rows["vectis"]),
        "ledger_vectis": verify_ledger(ctx, cat.account_name),
        "ledger_bpy_bsql": verify_ledger(ctx, bcat.account_name),
    }


# --- S7 / S7b -------------------------------------------------------------------------------------
def first_attempt_latency(ctx: Ctx, account_id: int, after_event: int, cap: float) -> dict:
    """Event.created_at → first DeliveryAttempt.attempted_at over the run's events (waits
    until every event had one, bounded)."""
    deadline = time.monotonic() + cap
    count_sql = (
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM webhooks_delivery d "
        "JOIN webhooks_deliveryattempt a ON a.delivery_id = d.id WHERE d.event_id = e.id)) "
        "FROM webhooks_event e WHERE e.account_id = %s AND e.id > %s"
    )
    while True:
        total, attempted = ctx.sql(count_sql, (account_id, after_event))[0]
        if attempted >= total or time.monotonic() > deadline:
            break
        time.sleep(1)
    rows = ctx.sql(
        "SELECT extract(epoch FROM min(a.attempted_at) - e.created_at) FROM webhooks_event e "
        "JOIN webhooks_delivery d ON d.event_id = e.id JOIN webhooks_deliveryattempt a ON "
        "a.delivery_id = d.id WHERE e.account_id = %s AND e.id > %s GROUP BY e.id",
        (account_id, after_event),
    )
    lat = [float(r[0]) * 1000 for r in rows]
    # Events still without an attempt count with their age so far: a lower bound.
    waiting = ctx.sql(
        "SELECT extract(epoch FROM now() - e.created_at) FROM webhooks_event e WHERE "
        "e.account_id = %s AND e.id > %s AND NOT EXISTS (SELECT 1 FROM webhooks_delivery d JOIN "
        "webhooks_deliveryattempt a ON a.delivery_id = d.id WHERE d.event_id = e.id)",
        (account_id, after_event),
    )
    censored = lat + [float(r[0]) * 1000 for r in waiting]
    return {
        "events": total,
        "attempted": attempted,
        "p50_ms": p(censored, 50),
        "p99_ms": p(censored, 99),
        "max_ms": max(censored) if censored else None,
        "complete": attempted >= total,
    }


def settle_setup_events(ctx: Ctx, account_id: int) -> None:
    """The data set's own events (stock received while building it) are not part of the
    measurement: marked fanned out, so the sweep does not deliver them to the new endpoints."""
    ctx.sql(
        "UPDATE webhooks_event SET fanned_out_at = now() WHERE account_id = %s "
        "AND fanned_out_at IS NULL RETURNING 1",
        (account_id,),
    )


def purge_deliveries(ctx: Ctx, account_id: int) -> int:
    """Stop the rest of a run's deliveries: the queue emptied, pending ones closed in SQL (the
    benchmark's own cleanup, so the next measurement does not share the workers)."""
    subprocess.run(["redis-cli", "-n", str(ctx.cfg.redis_db), "DEL", "celery"], capture_output=True)
    rows = ctx.sql(
        "UPDATE webhooks_delivery SET status = 'failed', next_attempt_at = NULL, "
        "completed_at = now(), last_error = 'bench: purged' WHERE account_id = %s "
        "AND status = 'pending' RETURNING 1",
        (account_id,),
    )
    return len(rows)


def s7(ctx: Ctx) -> dict:
    prof = ctx.profile
    ucat, utok = uniform_catalog(ctx, "S1")
    wcat, wtok = uniform_catalog(ctx, "S7")
    if not ctx.shared.get("s7_endpoints"):
        data.make_endpoints(
            wcat.account_id, f"http://127.0.0.1:{ctx.cfg.stub_port}", count=prof.s7_endpoints
        )
        settle_setup_events(ctx, wcat.account_id)
        ctx.shared["s7_endpoints"] = True
    rows = {"webhooks": [], "plain": []}
    for rep in range(prof.reps):

        def with_hooks(rep=rep):
            after_event = ctx.one(
                "SELECT coalesce(max(id), 0) FROM webhooks_event WHERE account_id = %s",
                (wcat.account_id,),
            )
            after_delivery = ctx.one("SELECT coalesce(max(id), 0) FROM webhooks_delivery")
            r = run_vectis_orders(ctx, wcat, wtok, 8, f"s7-hooks-r{rep}")
            r["first_attempt"] = first_attempt_latency(
                ctx, wcat.account_id, after_event, prof.s7_attempt_cap
            )
            r["deliveries"] = ctx.sql(
                "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded') FROM "
                "webhooks_delivery WHERE account_id = %s AND id > %s",
                (wcat.account_id, after_delivery),
            )[0]
            r["purged"] = purge_deliveries(ctx, wcat.account_id)
            ctx.log(f"  first attempt: {r['first_attempt']}, deliveries {r['deliveries']}")
            return r

        def plain(rep=rep):
            return run_vectis_orders(ctx, ucat, utok, 8, f"s7-plain-r{rep}")

        for name, step in interleave(rep, [("webhooks", with_hooks), ("plain", plain)]):
            rows[name].append(step())
    return s7_summary(rows)


def valid(run: dict) -> bool:
    """A load run whose requests were answered (not refused wholesale, say 401 for an expired
    token: the first full run of 2026-12-01 lost one S7 repetition so)."""
    return not (run.get("statuses", {}).get("401") or run.get("statuses", {}).get(401))


def s7_summary(rows: dict) -> dict:
    pairs = [(w, n) for w, n in zip(rows["webhooks"], rows["plain"], strict=False)]
    dropped = [i for i, (w, n) in enumerate(pairs) if not (valid(w) and valid(n))]
    rows = {
        "webhooks": [w for w, n in pairs if valid(w) and valid(n)],
        "plain": [n for w, n in pairs if valid(w) and valid(n)],
        "dropped_reps": dropped,
        "all": {"webhooks": [w for w, _ in pairs], "plain": [n for _, n in pairs]},
    }
    w = [r["accepted_per_s"] for r in rows["webhooks"]]
    n = [r["accepted_per_s"] for r in rows["plain"]]
    we = [r["drain"]["e2e_per_s"] for r in rows["webhooks"]]
    ne = [r["drain"]["e2e_per_s"] for r in rows["plain"]]
    return {
        "runs": rows,
        "with_per_s": med(w),
        "without_per_s": med(n),
        "with_over_without": ratios(w, n),
        "with_e2e_per_s": med(we),
        "without_e2e_per_s": med(ne),
        "e2e_with_over_without": ratios(we, ne),
        "first_attempt_p50_ms": med([r["first_attempt"]["p50_ms"] for r in rows["webhooks"]]),
        "first_attempt_p99_ms": med([r["first_attempt"]["p99_ms"] for r in rows["webhooks"]]),
        "first_attempt_complete": all(r["first_attempt"]["complete"] for r in rows["webhooks"]),
        "purged": sum(r["purged"] for r in rows["webhooks"]),
        "dropped_reps": dropped,
    }


def s7b(ctx: Ctx) -> dict:
    from celery import Celery

    prof = ctx.profile
    cat = data.make_catalog(data.unique_name("S7B"), skus=3)
    # 10 endpoints, all for order.created: 10 deliveries per event.
    data.make_endpoints(
        cat.account_id, f"http://127.0.0.1:{ctx.cfg.stub_port}", count=10, only="order.created"
    )
    settle_setup_events(ctx, cat.account_id)
    payload = baselines.order_payload()
    ctx.log(f"  writing {prof.s7b_events:,} events…")
    with psycopg.connect(ctx.cfg.pg_dsn) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "INSERT INTO webhooks_event (public_id, account_id, type, data, created_at) "
                "SELECT 'evt_' || substr(md5(random()::text || g), 1, 20), %s, 'order.created', "
                "%s::jsonb, now() FROM generate_series(1, %s) g RETURNING id",
                (cat.account_id, json.dumps(payload), prof.s7b_events),
            ).fetchall()
        ]
        conn.commit()
    broker = Celery(broker=ctx.cfg.redis_url)
    started = time.time()
    for start in range(0, len(ids), 500):
        broker.send_task("webhooks.fan_out_events", args=[ids[start : start + 500]])
    expected = len(ids) * 10
    deadline = time.monotonic() + prof.s7b_cap
    while True:
        done = ctx.one(
            "SELECT count(*) FROM webhooks_delivery WHERE account_id = %s AND status = 'succeeded'",
            (cat.account_id,),
        )
        if done >= expected or time.monotonic() > deadline:
            break
        time.sleep(1)
    last = ctx.one(
        "SELECT extract(epoch FROM max(a.finished_at)) FROM webhooks_deliveryattempt a JOIN "
        "webhooks_delivery d ON d.id = a.delivery_id WHERE d.account_id = %s",
        (cat.account_id,),
    )
    span = (float(last) - started) if last else None
    purged = purge_deliveries(ctx, cat.account_id)
    body = json.dumps({"type": "order.created", "data": payload}).encode()
    raw = baselines.b_http(
        ctx.cfg.stub_port,
        clients=ctx.cfg.celery_concurrency,
        seconds=min(30, prof.s7b_cap),
        body=body,
    )
    raw_kept = baselines.b_http(
        ctx.cfg.stub_port,
        clients=ctx.cfg.celery_concurrency,
        seconds=min(30, prof.s7b_cap),
        body=body,
        keep_alive=True,
    )
    # The ratio is against the faster of the two loops.
    best = max(raw["per_s"], raw_kept["per_s"])
    rate = done / span if span else None
    ctx.log(
        f"  S7b: {done}/{expected} delivered in {span}s = {rate}/s; raw http "
        f"{raw['per_s']:.0f}/s new connections, {raw_kept['per_s']:.0f}/s keep-alive"
    )
    return {
        "events": len(ids),
        "expected_deliveries": expected,
        "delivered": done,
        "span_s": span,
        "drained": done >= expected,
        "deliveries_per_s": rate,
        "raw_http_per_s": raw["per_s"],
        "raw_http_keep_alive_per_s": raw_kept["per_s"],
        "over_raw": (rate / best) if rate else None,
        "purged": purged,
    }


# --- S8 -------------------------------------------------------------------------------------------
def s8(ctx: Ctx) -> dict:
    result = s8_products(ctx)
    result["orders"] = s8_orders(ctx)
    return result


def s8_profiles(ctx: Ctx, rows: int) -> dict:
    """py-spy over a whole `manage.py import_orders` of `rows` order rows and a whole
    `manage.py import_products` of `rows` product rows (not measured runs)."""
    import sys

    from bench.harness import profile

    if not profile.py_spy():
        return {"skipped": "py-spy not installed (.venv/bin/pip install py-spy)"}
    sys.path.insert(0, str(ROOT / "bench"))
    from import_products import write_csv

    orders_csv = ctx.cfg.run_dir / f"orders-profile-{rows}.csv"
    data.write_orders_csv(orders_csv, rows)
    cat = data.make_catalog(data.unique_name("PROF8"), skus=100, stock=1)
    ctx.sql(
        "UPDATE accounts_account SET auto_allocate = false WHERE id = %s RETURNING id",
        (cat.account_id,),
    )
    products_csv = ctx.cfg.run_dir / f"products-profile-{rows}.csv"
    write_csv(products_csv, rows)
    products_account = data.unique_name("PROF8P")
    stack.manage(
        ctx.cfg, "create_api_client", "--account", products_account, "--name", "p", "--all-scopes"
    )
    runs = {
        "import_orders": (orders_csv, cat.account_public_id),
        "import_products": (products_csv, products_account),
    }
    result = {}
    for command, (path, account) in runs.items():
        out = ctx.cfg.run_dir / f"profile-s8-{command}.txt"
        r = profile.record_command(
            [PYTHON, "manage.py", command, str(path), "--account", account, "--no-progress"],
            out,
            cwd=ROOT,
            env=ctx.cfg.vectis_env(),
        )
        name = f"S8 manage.py {command}, {rows:,} rows (whole command)"
        if r.returncode or not out.exists():
            result[name] = {"errors": [r.stdout[-500:], r.stderr[-500:]]}
        else:
            result[name] = profile.summarize(out, top=20)
    return result


def s8_orders(ctx: Ctx) -> dict:
    """manage.py import_orders of a CSV (3 lines per order, 100 uniform SKUs) vs B_copy of the
    same file; the account does not allocate automatically, so only the import is measured."""
    prof = ctx.profile
    path = ctx.cfg.run_dir / f"orders-{prof.s8_order_rows}.csv"
    data.write_orders_csv(path, prof.s8_order_rows)
    rows = {"vectis": [], "bcopy": []}

    def account(prefix: str):
        cat = data.make_catalog(data.unique_name(prefix), skus=100, stock=1)
        ctx.sql(
            "UPDATE accounts_account SET auto_allocate = false WHERE id = %s RETURNING id",
            (cat.account_id,),
        )
        return cat

    for rep in range(prof.s8_reps):

        def vectis(rep=rep):
            cat = account(f"S8O-r{rep}")
            started = time.monotonic()
            r = subprocess.run(
                [PYTHON, "manage.py", "import_orders", str(path), "--account",
                 cat.account_public_id, "--no-progress"],
                cwd=ROOT,
                env=ctx.cfg.vectis_env(),
                capture_output=True,
                text=True,
                check=False,
            )  # fmt: skip
            elapsed = time.monotonic() - started
            if r.returncode:
                raise SystemExit(f"import_orders failed: {r.stdout[-2000:]} {r.stderr[-2000:]}")
            lines = ctx.one(
                "SELECT count(*) FROM orders_orderline WHERE account_id = %s", (cat.account_id,)
            )
            res = {"rows": lines, "seconds": elapsed, "rows_per_s": lines / elapsed}
            ctx.log(f"  import_orders: {lines} rows in {elapsed:.1f}s = {lines / elapsed:.0f}/s")
            return res

        def bcopy(rep=rep):
            cat = account(f"S8OB-r{rep}")
            r = baselines.b_copy_orders(ctx.cfg, cat.account_id, path)
            ctx.log(
                f"  B_copy orders: {r['rows']} rows in {r['seconds']:.2f}s = "
                f"{r['rows_per_s']:.0f}/s"
            )
            return r

        for name, step in interleave(rep, [("vectis", vectis), ("bcopy", bcopy)]):
            rows[name].append(step())
    v = [r["rows_per_s"] for r in rows["vectis"]]
    b = [r["rows_per_s"] for r in rows["bcopy"]]
    return {
        "runs": rows,
        "rows": prof.s8_order_rows,
        "vectis_rows_per_s": med(v),
        "bcopy_rows_per_s": med(b),
        "vectis_over_bcopy": ratios(v, b),
    }


def s8_products(ctx: Ctx) -> dict:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from import_products import write_csv

    prof = ctx.profile
    path = ctx.cfg.run_dir / f"products-{prof.s8_rows}.csv"
    write_csv(path, prof.s8_rows)
    rows = {"vectis": [], "bcopy": []}
    for rep in range(prof.s8_reps):

        def vectis(rep=rep):
            name = data.unique_name(f"S8-r{rep}")
            stack.manage(
                ctx.cfg, "create_api_client", "--account", name, "--name", "s8", "--all-scopes"
            )
            started = time.monotonic()
            r = subprocess.run(
                [
                    PYTHON,
                    "manage.py",
                    "import_products",
                    str(path),
                    "--account",
                    name,
                    "--no-progress",
                ],
                cwd=ROOT,
                env=ctx.cfg.vectis_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.monotonic() - started
            if r.returncode:
                raise SystemExit(f"import_products failed: {r.stderr[-2000:]}")
            created = ctx.one(
                "SELECT count(*) FROM catalog_product p JOIN accounts_account a ON a.id = "
                "p.account_id WHERE a.name = %s",
                (name,),
            )
            res = {"rows": created, "seconds": elapsed, "rows_per_s": created / elapsed}
            ctx.log(
                f"  import_products: {created} rows in {elapsed:.1f}s = {created / elapsed:.0f}/s"
            )
            return res

        def bcopy(rep=rep):
            account_id = data_account(ctx, f"S8B-r{rep}")
            r = baselines.b_copy(ctx.cfg, account_id, path)
            ctx.log(f"  B_copy: {r['rows']} rows in {r['seconds']:.2f}s = {r['rows_per_s']:.0f}/s")
            return r

        for name, step in interleave(rep, [("vectis", vectis), ("bcopy", bcopy)]):
            rows[name].append(step())
    v = [r["rows_per_s"] for r in rows["vectis"]]
    b = [r["rows_per_s"] for r in rows["bcopy"]]
    return {
        "runs": rows,
        "rows": prof.s8_rows,
        "vectis_rows_per_s": med(v),
        "bcopy_rows_per_s": med(b),
        "vectis_over_bcopy": ratios(v, b),
    }


def data_account(ctx: Ctx, prefix: str) -> int:
    from vectis.accounts.models import Account

    return Account.objects.create(name=data.unique_name(prefix)).pk


SCENARIOS = {
    "S2": s2,
    "S1": s1,
    "S3": s3,
    "S4": s4,
    "S6": s6,
    "S7": s7,
    "S7b": s7b,
    "S8": s8,
    "S5": s5,
}
