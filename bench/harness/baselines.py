"""The database's own speed for the same work, measured in the same run:

B_sql   pgbench running bench/sql/order_tx.sql (or adjust_tx.sql): the whole transaction in SQL.
B_py    the same statements from a plain psycopg loop in Python, one connection per client.
B_copy  COPY of the import file (S8), then INSERT … SELECT into products and outbox events.
B_http  a raw http.client loop posting event bodies to the webhook stub (S7b), new
        connections and keep-alive; the ratio is against the faster.
"""

import csv
import http.client
import json
import re
import subprocess
import threading
import time
from pathlib import Path
from string import Template

import psycopg

from bench.harness.data import Catalog
from bench.harness.env import ROOT, Config
from bench.harness.payloads import (
    SHIP_TO,
    adjust_payload,
    contiguous,
    order_payload,
    package_payload,
)

SQL_DIR = ROOT / "bench" / "sql"


def _sql_json(data: dict) -> str:
    return json.dumps(data).replace("'", "''")


def render_script(name: str, cat: Catalog, out_dir: Path) -> Path:
    values = {
        "nskus": len(cat.skus),
        "account": cat.account_id,
        "prod0": contiguous(cat.product_ids, "product"),
        "level0": contiguous(cat.level_ids, "stock level"),
        "warehouse": cat.warehouse_id,
        "location": cat.location_id,
        "ship_to": _sql_json(SHIP_TO),
        "order_payload": _sql_json(order_payload()),
        "package_payload": _sql_json(package_payload()),
        "adjust_payload": _sql_json(adjust_payload()),
    }
    text = Template((SQL_DIR / name).read_text()).substitute(values)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_text(text)
    return path


def pgbench(cfg: Config, script: Path, *, clients: int, seconds: float) -> dict:
    """tx/s of a pgbench run (-n: no vacuum of pgbench's own tables, which are not used)."""
    argv = [
        "pgbench", "-n", "-h", cfg.pg_host, "-p", str(cfg.pg_port), "-U", cfg.pg_user,
        "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(int(seconds)),
        "-f", str(script), cfg.db_name,
    ]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    text = out.stdout + out.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    done = re.search(r"number of transactions actually processed: (\d+)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    if out.returncode or not tps:
        raise SystemExit(f"pgbench failed ({out.returncode}):\n{text[-3000:]}")
    return {
        "tps": float(tps.group(1)),
        "transactions": int(done.group(1)) if done else None,
        "failed": int(failed.group(1)) if failed else 0,
    }


# --- B_copy ---------------------------------------------------------------------------------------
def b_copy(cfg: Config, account_id: int, csv_path: Path) -> dict:
    """COPY the CSV into a staging table, then products and one product.created outbox event
    each, in one transaction: the database's rate for what import_products writes."""
    started = time.monotonic()
    with psycopg.connect(cfg.pg_dsn) as conn, conn.cursor() as cur:
        with csv_path.open() as f:
            header = next(csv.reader([f.readline()]))
        cols = ", ".join(f'"{c}" text' for c in header)
        cur.execute(f"CREATE TEMP TABLE staging ({cols}) ON COMMIT DROP")
        with (
            csv_path.open("rb") as f,
            cur.copy("COPY staging FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        cur.execute(
            """
            WITH p AS (
              INSERT INTO catalog_product (public_id, account_id, sku, type, name, description,
                barcode, hs_code, country_of_origin, weight, weight_unit, length, width, height,
                dimension_unit, cost, price, currency, tracking, low_stock_threshold, active,
                metadata, created_at, updated_at)
              SELECT 'prd_' || substr(md5(random()::text || sku), 1, 20), %s, sku, 'simple',
                name, '', barcode, '', '', weight::numeric, weight_unit, length::numeric,
                width::numeric, height::numeric, dimension_unit, cost::numeric, price::numeric,
                currency, tracking, low_stock_threshold::int, true, '{}', now(), now()
              FROM staging
              RETURNING public_id, sku, name, price
            )
            INSERT INTO webhooks_event (public_id, account_id, type, data, created_at)
            SELECT 'evt_' || substr(md5(random()::text || public_id), 1, 20), %s,
              'product.created', jsonb_build_object('id', public_id, 'sku', sku, 'name', name,
              'price', price::text), now()
            FROM p
            """,
            (account_id, account_id),
        )
        rows = cur.rowcount
        conn.commit()
    elapsed = time.monotonic() - started
    return {"rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed}


# --- B_http ---------------------------------------------------------------------------------------
def b_http(
    port: int, *, clients: int, seconds: float, body: bytes, keep_alive: bool = False
) -> dict:
    """Raw http.client POSTs to the stub from `clients` threads: a new connection per request,
    or (`keep_alive`) one connection per thread for all its requests, as Vectis reuses a
    connection the receiver keeps alive within a batch."""
    counts = [0] * clients
    deadline = time.monotonic() + seconds

    def loop(i: int) -> None:
        conn = None
        while time.monotonic() < deadline:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(
                "POST", f"/raw/{i}", body=body, headers={"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            response.read()
            if not keep_alive or response.will_close:
                conn.close()
                conn = None
            if response.status == 200:
                counts[i] += 1
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"per_s": sum(counts) / seconds, "requests": sum(counts)}


def b_copy_orders(cfg: Config, account_id: int, csv_path: Path) -> dict:
    """COPY the orders CSV into a staging table, then in one statement the orders (one per
    channel + external_id, totals summed), their lines (SKUs joined to products), one history
    row and one order.created outbox event per order, in one transaction: the database's rate
    for what import_orders writes."""
    started = time.monotonic()
    with psycopg.connect(cfg.pg_dsn) as conn, conn.cursor() as cur:
        with csv_path.open() as f:
            header = next(csv.reader([f.readline()]))
        cols = ", ".join(f'"{c}" text' for c in header)
        cur.execute(f"CREATE TEMP TABLE staging (n serial, {cols}) ON COMMIT DROP")
        names = ", ".join(f'"{c}"' for c in header)
        with (
            csv_path.open("rb") as f,
            cur.copy(f"COPY staging ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        cur.execute(
            """
            WITH g AS (
              SELECT channel, external_id, max(currency) AS currency,
                jsonb_build_object('name', max(ship_to_name), 'address1', max(ship_to_address1),
                  'city', max(ship_to_city), 'postal_code', max(ship_to_postal_code),
                  'country', max(ship_to_country), 'email', max(ship_to_email)) AS ship_to,
                max(ship_to_name) AS name, max(ship_to_email) AS email,
                coalesce(max(shipping), '0')::numeric AS shipping,
                sum(quantity::int * price::numeric) AS subtotal
              FROM staging GROUP BY channel, external_id
            ), o AS (
              INSERT INTO orders_order (public_id, account_id, channel, external_id, status,
                sub_status, hold_reason, currency, ship_to, customer_name, customer_email,
                shipping_method, notes, tags, metadata, shipping, tax, discount, subtotal, total,
                payment, priority, created_at, updated_at)
              SELECT 'ord_' || substr(md5(random()::text || external_id), 1, 20), %(a)s,
                channel, external_id, 'pending', '', '', currency, ship_to, name, email, '', '',
                '[]', '{}', shipping, 0, 0, subtotal, subtotal + shipping, '{}', 0, now(), now()
              FROM g
              RETURNING id, public_id, channel, external_id, status, total
            ), l AS (
              INSERT INTO orders_orderline (public_id, account_id, order_id, position,
                product_id, sku, quantity, price, quantity_allocated, quantity_shipped,
                quantity_cancelled, quantity_returned)
              SELECT 'lin_' || substr(md5(random()::text || s.n), 1, 20), %(a)s, o.id,
                row_number() OVER (PARTITION BY o.id ORDER BY s.n) - 1, p.id, s.sku,
                s.quantity::int, s.price::numeric, 0, 0, 0, 0
              FROM staging s
              JOIN o ON o.channel = s.channel AND o.external_id = s.external_id
              JOIN catalog_product p ON p.account_id = %(a)s AND p.sku = s.sku
              RETURNING 1
            ), h AS (
              INSERT INTO orders_orderevent (account_id, order_id, type, from_status, to_status,
                data, actor, created_at)
              SELECT %(a)s, id, 'created', 'pending', 'pending', '{}', 'import', now() FROM o
              RETURNING 1
            )
            INSERT INTO webhooks_event (public_id, account_id, type, data, created_at)
            SELECT 'evt_' || substr(md5(random()::text || public_id), 1, 20), %(a)s,
              'order.created', jsonb_build_object('id', public_id, 'channel', channel,
              'external_id', external_id, 'status', status, 'total', total::text), now()
            FROM o
            """,
            {"a": account_id},
        )
        cur.execute("SELECT count(*) FROM staging")
        rows = cur.fetchone()[0]
        conn.commit()
    elapsed = time.monotonic() - started
    return {"rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed}
