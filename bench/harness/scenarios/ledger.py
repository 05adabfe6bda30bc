"""S6: the ledger verified against a plain SUM."""

from bench.harness import baselines, data, load, stack
from bench.harness.scenarios.common import (
    Ctx,
    interleave,
    run_bpy,
    run_bsql,
    server_errors,
    verify_ledger,
)
from bench.harness.stats import med, ratios


# --- S6 -------------------------------------------------------------------------------------------
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
