"""S7/S7b: webhook delivery against a bare sender."""

import json
import subprocess
import time

import psycopg

from bench.harness import baselines, data
from bench.harness.scenarios.common import (
    Ctx,
    interleave,
    run_vectis_orders,
    uniform_catalog,
)
from bench.harness.stats import med, p, ratios


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
