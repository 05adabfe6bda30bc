"""S8: CSV imports against COPY."""

import subprocess
import time

from bench.harness import baselines, data, stack
from bench.harness.env import PYTHON, ROOT
from bench.harness.scenarios.common import (
    Ctx,
    data_account,
    interleave,
)
from bench.harness.stats import med, ratios


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
