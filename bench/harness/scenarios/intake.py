"""S1/S1e, S2, S3/S3b: order intake and allocation against the same work in SQL and Python."""

import time

from bench.harness import data, sqlcount, stack
from bench.harness.scenarios.common import (
    Ctx,
    baseline_catalog,
    interleave,
    run_bpy,
    run_bsql,
    run_vectis_orders,
    uniform_catalog,
)
from bench.harness.stats import med, ratios


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
