"""Vectis order-pipeline benchmark (issue 13): one command builds the data, starts Vectis the
production way, runs the scenarios against it and, in the same run, the same work straight
against PostgreSQL (B_sql, B_py, B_copy), then appends the table to bench/RESULTS.md.

    .venv/bin/python bench/run.py --quick            # smoke profile, a few minutes
    .venv/bin/python bench/run.py                    # full profile (about an hour on 2 cores)
    .venv/bin/python bench/run.py --only S1,S2       # some scenarios
    .venv/bin/python bench/run.py --list

See bench/README.md.
"""

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import profile, report, scenarios, stack  # noqa: E402
from bench.harness.env import Config, django_setup  # noqa: E402

DESCRIPTIONS = {
    "S2": "SQL statements of one order create and one allocation, 1 and 20 lines (in-process)",
    "S1": "POST /v1/orders, 3 lines on 100 SKUs, c=8 and c=32; accepted/s and e2e allocated/s "
    "vs B_sql and B_py",
    "S3": "c=64, every order holds hot SKU X (stock 5,000) + 2 uniform SKUs; oversell, 5xx, "
    "deadlocks; S3b hot/uniform",
    "S4": "flash sale: 10,000 one-unit holds with expires_in on 1,000 units (c=32), half "
    "released, the rest lapse; oversold, reservations left 1 min after expiry",
    "S6": "POST /v1/inventory/adjust c=32 on 10 SKUs; ledger drift; vs B_py (and B_sql)",
    "S7": "S1 c=8 with 200 webhook endpoints (10 match each event) on a stub; event→first attempt",
    "S7b": "drain 10,000 events → 100,000 deliveries to the stub vs a raw http.client loop",
    "S8": "manage.py import_products and import_orders of a CSV vs B_copy",
    "S5": "GET /v1/orders on N orders: a cursor walk's page at row N/2 vs the first page "
    "(S5), page 1 with meta.total vs the next page by cursor (S5b); OFFSET pages beside",
}
ORDER = ["S2", "S1", "S3", "S4", "S6", "S7", "S7b", "S8", "S5"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short smoke profile")
    parser.add_argument("--only", help="comma-separated scenarios (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--reps", type=int, help="repetitions (default: 3 full, 1 quick)")
    parser.add_argument("--seconds", type=float, help="seconds per load run (default 20 / 5)")
    parser.add_argument("--s5-orders", type=int, help="orders in the S5 list data set")
    parser.add_argument("--s8-rows", type=int, help="rows of the S8 products import file")
    parser.add_argument("--s8-order-rows", type=int, help="rows of the S8 orders import file")
    parser.add_argument("--s7b-events", type=int, help="events drained in S7b")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    parser.add_argument("--no-beat", action="store_true", help="Celery worker without -B")
    parser.add_argument(
        "--dispatchers", type=int, default=1, help="manage.py dispatch processes (default 1)"
    )
    parser.add_argument("--db", default="vectis_bench_run", help="private database (dropped!)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--no-results", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--note", default="", help="a line for RESULTS.md (what this run is)")
    parser.add_argument(
        "--render", metavar="RESULTS_JSON", help="only print the report of a saved results.json"
    )
    args = parser.parse_args()

    if args.render:
        print(report.markdown(json.loads(Path(args.render).read_text()), note=args.note))
        return

    if args.list:
        for name in ORDER:
            print(f"{name:4} {DESCRIPTIONS[name]}")
        return
    chosen = ORDER if not args.only else [s.strip() for s in args.only.split(",")]
    unknown = [s for s in chosen if s not in scenarios.SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenarios: {unknown}; see --list")
    chosen = [s for s in ORDER if s in chosen]

    prof = scenarios.QUICK if args.quick else scenarios.FULL
    overrides = {
        "reps": args.reps,
        "seconds": args.seconds,
        "s5_orders": args.s5_orders,
        "s8_rows": args.s8_rows,
        "s8_order_rows": args.s8_order_rows,
        "s7b_events": args.s7b_events,
    }
    for key, value in overrides.items():
        if value is not None:
            setattr(prof, key, value)
    if args.reps is not None:
        prof.s8_reps = min(prof.s8_reps, args.reps) if args.quick else args.reps

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    cfg = Config(db_name=args.db, beat=not args.no_beat, dispatchers=args.dispatchers)
    cfg.run_dir = ROOT / "bench" / ".runs" / stamp
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    log_file = (cfg.run_dir / "run.log").open("a")

    def log(message: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    command = "bench/run.py " + shlex.join(sys.argv[1:])
    meta = machine_meta(cfg, prof, command)
    log(f"run {stamp}: {command} → {cfg.run_dir}")
    log(f"profile {prof}")
    started = time.monotonic()
    results: dict = {"meta": meta, "scenarios": {}, "errors": {}}
    st = stack.Stack(cfg)
    try:
        stack.recreate_database(cfg)
        stack.flush_redis(cfg.redis_db)
        stack.flush_redis(cfg.aux_redis_db)
        stack.manage(cfg, "migrate", "--noinput")
        django_setup(cfg)
        ctx = scenarios.Ctx(cfg=cfg, profile=prof, stack=st, log=log)
        if [s for s in chosen if s != "S2"] or not args.no_profile:
            log(
                f"starting gunicorn ({cfg.web_workers}x{cfg.web_threads} on :{cfg.web_port}), "
                f"celery -c {cfg.celery_concurrency}{' -B' if cfg.beat else ''}, "
                f"{cfg.dispatchers} dispatcher(s), "
                f"stub :{cfg.stub_port}"
            )
            st.start()
        for name in chosen:
            log(f"== {name}: {DESCRIPTIONS[name]}")
            t0 = time.monotonic()
            try:
                results["scenarios"][name] = scenarios.SCENARIOS[name](ctx)
            except (Exception, SystemExit) as exc:  # one scenario failing leaves the others
                log(f"   {name} failed: {exc!r}")
                results["errors"][name] = "".join(traceback.format_exception(exc))[-3000:]
            log(f"   {name} took {time.monotonic() - t0:.0f}s")
            save(cfg, results)
        if not args.no_profile:
            log("== profile: py-spy on one gunicorn worker and one Celery pool process, S1 c=8")
            try:
                results["profile"] = run_profile(ctx)
            except (Exception, SystemExit) as exc:
                results["errors"]["profile"] = "".join(traceback.format_exception(exc))[-3000:]
                log(f"   profile failed: {exc!r}")
    finally:
        st.stop()
        results["celery_tasks"] = stack.celery_task_times(cfg.run_dir / "logs" / "celery.log")
        stack.flush_redis(cfg.redis_db)
        stack.flush_redis(cfg.aux_redis_db)
        results["meta"]["elapsed_s"] = round(time.monotonic() - started)
        results["meta"]["loadavg_end"] = os.getloadavg()
        save(cfg, results)
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            with stack.admin_conn(cfg) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{cfg.db_name}" WITH (FORCE)')
    text = report.markdown(results, note=args.note)
    (cfg.run_dir / "report.md").write_text(text)
    print(text)
    if not args.no_results:
        with open(args.results, "a") as f:
            f.write("\n" + text)
        log(f"appended to {args.results}")


def run_profile(ctx: scenarios.Ctx) -> dict:
    """py-spy on one gunicorn worker and one Celery pool process during an S1 c=8 load, then on
    one gunicorn worker during an S6 adjust load (c=32); not part of the measured runs."""
    from bench.harness import data, load, stack

    seconds = ctx.profile.profile_seconds
    web = ctx.stack.web_worker_pids()
    pool = ctx.stack.celery_pool_pids()
    cat, tok = scenarios.uniform_catalog(ctx, "S1")

    def orders():
        scenarios.post_orders(ctx, cat, tok, clients=8, seconds=seconds + 2, tag="profile")

    pids = {"S1 c=8, one gunicorn worker": [web[0]]}
    if pool:
        pids["S1 c=8, Celery worker children (pool processes and beat)"] = pool
    dsn = ctx.cfg.pg_dsn
    out = profile.profile_run(pids, seconds, ctx.cfg.run_dir / "profile-s1", orders, dsn)
    out = {f"{k} (S1 c=8)" if k.startswith("PostgreSQL") else k: v for k, v in out.items()}
    adj = data.make_catalog(data.unique_name("PROF6"), skus=10, stock=1_000_000, prefix="ADJ")
    adj_tok = stack.token(ctx.cfg, adj.account_name)
    env = {
        "BENCH_TOKEN": adj_tok,
        "BENCH_SKUS": ",".join(adj.skus),
        "BENCH_WAREHOUSE": adj.warehouse_public_id,
    }

    def adjusts():
        load.wrk(ctx.cfg.base_url, "adjust.lua", connections=32, seconds=seconds + 2, env=env)

    out.update(
        profile.profile_run(
            {"S6 adjust c=32, one gunicorn worker": [web[1 % len(web)]]},
            seconds,
            ctx.cfg.run_dir / "profile-s6",
            adjusts,
            dsn,
        ).items()
    )
    out = {f"{k} (S6)" if k == "PostgreSQL backends meanwhile" else k: v for k, v in out.items()}
    # The same sampling while B_sql runs the order transaction at c=8 and B_py adjusts at c=32.
    _, script = scenarios.baseline_catalog(ctx)
    with profile.PgActivity(dsn) as act:
        scenarios.run_bsql(ctx, script, 8, seconds)
    out["PostgreSQL backends during B_sql c=8 (orders)"] = {"pg_activity": act.summary()}
    bpy = data.make_catalog(data.unique_name("PROF6B"), skus=10, stock=1_000_000, prefix="ADJ")
    with profile.PgActivity(dsn) as act:
        scenarios.run_bpy(ctx, bpy, "adjust", 32, seconds)
    out["PostgreSQL backends during B_py c=32 (adjust)"] = {"pg_activity": act.summary()}
    rows = min(ctx.profile.s8_order_rows, 60_000)
    out.update(scenarios.s8_profiles(ctx, rows))
    for name, summary in out.items():
        ctx.log(f"  {name}: {json.dumps(summary)[:400]}")
    return out


APP_COMMIT = (
    "git",
    "log",
    "-1",
    "--format=%h %s",
    "--",
    ".",
    ":!bench",
    ":!Makefile",
    ":!README.md",
)


def machine_meta(cfg: Config, prof, command: str) -> dict:
    def sh(*argv: str, cwd=None) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd)
            return out.stdout.strip()
        except OSError:
            return ""

    pg = sh("psql", "-h", cfg.pg_host, "-U", cfg.pg_user, "-Atc", "SHOW server_version", "postgres")
    settings = sh(
        "psql", "-h", cfg.pg_host, "-U", cfg.pg_user, "-Atc",
        "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name "
        "IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem')",
        "postgres",
    )  # fmt: skip
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": sh("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"),
        "commit_subject": sh("git", "-C", str(ROOT), "log", "-1", "--format=%s"),
        # The application measured: the last commit that changed anything but the benchmark
        # (bench/, its make target and README pointer).
        "app_commit": sh(*APP_COMMIT, cwd=ROOT),
        "dirty": bool(sh("git", "-C", str(ROOT), "status", "--porcelain", "--", ":!bench")),
        "command": command,
        "machine": f"{os.cpu_count()} cores, {mem:.0f} GiB, {platform.platform()}",
        "python": platform.python_version(),
        "postgres": f"{pg} ({settings})",
        "redis": sh("redis-server", "--version").split(" v=")[-1].split(" ")[0],
        "wrk": sh("wrk", "-v").splitlines()[0] if sh("wrk", "-v") else "",
        "stack": (
            f"gunicorn -c deploy/gunicorn.conf.py, {cfg.web_workers} workers x {cfg.web_threads} "
            f"threads; celery worker -c {cfg.celery_concurrency}"
            f"{' -B (beat)' if cfg.beat else ''}; {cfg.dispatchers} dispatcher(s); "
            "DB_POOL=1; VECTIS_ENV=development (plain http); rate limits on at 10^9/min; "
            "Redis broker and cache; never eager"
        ),
        "profile": prof.__dict__,
        "loadavg_start": os.getloadavg(),
    }


def save(cfg: Config, results: dict) -> None:
    (cfg.run_dir / "results.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
