"""What the scenarios share: the run profile and context, catalogs, posting and draining orders,
and the baselines' runners."""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.harness import baselines, bpy, data, load, stack
from bench.harness.env import Config


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
    r = bpy.b_py(ctx.cfg, cat, kind, clients=clients, seconds=seconds)
    ctx.log(f"  B_py c={clients} {kind}: {r['tps']:.1f} tx/s")
    return r


def interleave(rep: int, steps: list) -> list:
    """A/B in even repetitions, B/A in odd ones."""
    return steps if rep % 2 == 0 else list(reversed(steps))


def data_account(ctx: Ctx, prefix: str) -> int:
    from vectis.accounts.models import Account

    return Account.objects.create(name=data.unique_name(prefix)).pk


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
