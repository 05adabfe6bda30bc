"""Benchmark: CSV product import of N rows; reports rows/s and peak memory of the importer.

Usage (PostgreSQL, tasks queued to Redis rather than run eagerly):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vectis_bench \
    REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/python bench/import_products.py --rows 100000

It creates the database if needed, migrates, makes a fresh account, writes the CSV to a
temporary file and runs `manage.py import_products` in a child process, so the peak RSS
measured is the importer's alone.
"""

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gtin12(n: int) -> str:
    body = f"{n % 10**11:011d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(42)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["sku", "name", "barcode", "weight", "weight_unit", "length", "width", "height",
             "dimension_unit", "cost", "price", "currency", "tracking", "low_stock_threshold"]
        )  # fmt: skip
        for i in range(rows):
            writer.writerow(
                [f"BENCH-{i:07d}", f"Bench product {i}", gtin12(10**10 + i),
                 f"{rng.uniform(10, 5000):.1f}", "g", rng.randint(1, 80), rng.randint(1, 60),
                 rng.randint(1, 40), "cm", f"{rng.uniform(1, 50):.2f}",
                 f"{rng.uniform(5, 150):.2f}", "USD", "none", rng.randint(0, 20)]
            )  # fmt: skip


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vectis.settings")
    # A benchmark database is no production deployment (no SECRET_KEY, no https needed).
    os.environ.setdefault("VECTIS_ENV", "development")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    django_setup()
    from django.core.management import call_command

    from vectis.accounts.services import account_get_or_create

    call_command("migrate", verbosity=0)
    account, _ = account_get_or_create(name=f"bench-{int(time.time())}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "products.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "import_products", str(path),
             "--account", account.public_id, "--batch-size", str(args.batch_size), "--no-progress"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(result.stdout.strip())
    if result.returncode:
        print(result.stderr[-2000:])
        sys.exit(result.returncode)
    engine = os.environ.get("DATABASE_URL", "sqlite").split(":")[0]
    print(
        f"rows={args.rows} file={size_mb:.1f}MB database={engine} batch={args.batch_size} "
        f"wall={elapsed:.1f}s rows_per_s={args.rows / elapsed:,.0f} peak_rss={peak_mb:.0f}MB"
    )


if __name__ == "__main__":
    main()
