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
import multiprocessing
import re
import secrets
import string
import subprocess
import threading
import time
from pathlib import Path
from string import Template

import psycopg

from bench.harness.data import Catalog, public_id
from bench.harness.env import ROOT, Config

SQL_DIR = ROOT / "bench" / "sql"
SHIP_TO = {
    "name": "Bench Buyer",
    "address1": "1 Main St",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def contiguous(ids: list[int], what: str) -> int:
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise SystemExit(f"{what} ids are not contiguous; the SQL baselines need them so")
    return ids[0]


def order_payload(lines: int = 3) -> dict:
    """An order as the API renders it in events (orders.representation.OrderSerializer)."""
    return {
        "id": public_id("ord"),
        "external_id": "bench-" + secrets.token_hex(8),
        "channel": "web",
        "status": "pending",
        "sub_status": "",
        "hold_reason": "",
        "currency": "USD",
        "ship_to": SHIP_TO,
        "shipping_method": "",
        "placed_at": None,
        "notes": "",
        "tags": [],
        "metadata": {},
        "payment": {},
        "priority": 0,
        "totals": {"shipping": "0.00", "tax": "0.00", "discount": "0.00"},
        "subtotal": "30.00",
        "total": "30.00",
        "items": [
            {
                "id": public_id("lin"),
                "sku": f"SKU-{i:04d}",
                "product_id": public_id("prd"),
                "quantity": 1,
                "price": "10.00",
                "quantity_allocated": 0,
                "quantity_shipped": 0,
                "quantity_cancelled": 0,
                "quantity_returned": 0,
            }
            for i in range(lines)
        ],
        "created_at": "2026-12-01T00:00:00.000000Z",
        "updated_at": "2026-12-01T00:00:00.000000Z",
    }


def package_payload() -> dict:
    return {
        "id": public_id("pkg"),
        "order_id": public_id("ord"),
        "warehouse_id": public_id("wh"),
        "status": "pending",
        "carrier": "",
        "service": "",
        "tracking_number": "",
        "weight": None,
        "weight_unit": "g",
        "dimensions": {"length": None, "width": None, "height": None, "unit": "cm"},
        "lines": [
            {"line_id": public_id("lin"), "sku": f"SKU-{i:04d}", "quantity": 1} for i in range(3)
        ],
        "labels": [],
        "shipped_at": None,
        "delivered_at": None,
        "created_at": "2026-12-01T00:00:00.000000Z",
        "updated_at": "2026-12-01T00:00:00.000000Z",
    }


def adjust_payload() -> dict:
    return {
        "movement_id": public_id("mov"),
        "product_id": public_id("prd"),
        "sku": "ADJ-0001",
        "warehouse_id": public_id("wh"),
        "location_id": public_id("loc"),
        "location_code": "DEFAULT",
        "delta": 3,
        "reason": "correction",
        "reference": "",
        "note": "",
        "on_hand": 1000003,
        "reserved": 0,
        "available": 1000003,
    }


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


# --- B_py -----------------------------------------------------------------------------------------
_ALPHABET = string.ascii_letters + string.digits

ORDER_INSERT = (
    "INSERT INTO orders_order (public_id, account_id, channel, external_id, status, sub_status, "
    "hold_reason, currency, ship_to, customer_name, customer_email, shipping_method, notes, tags, "
    "metadata, shipping, tax, discount, subtotal, total, payment, priority, allocation_due_at, "
    "created_at, updated_at) VALUES (%s, %s, 'web', %s, 'pending', '', '', 'USD', %s, "
    "'Bench Buyer', '', '', '', '[]', '{}', 0, 0, 0, %s, %s, '{}', 0, now(), now(), now()) "
    "RETURNING id"
)
LINES_INSERT = (
    "INSERT INTO orders_orderline (public_id, account_id, order_id, position, product_id, sku, "
    "quantity, price, quantity_allocated, quantity_shipped, quantity_cancelled, "
    "quantity_returned) SELECT * , 0, 0, 0, 0 FROM unnest(%s::text[], %s::bigint[], %s::bigint[], "
    "%s::int[], %s::bigint[], %s::text[], %s::int[], %s::numeric[]) RETURNING id, product_id"
)
EVENT_INSERT = (
    "INSERT INTO webhooks_event (public_id, account_id, type, data, created_at) "
    "SELECT *, now() FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::jsonb[])"
)
HISTORY_INSERT = (
    "INSERT INTO orders_orderevent (account_id, order_id, type, from_status, to_status, data, "
    "actor, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, now())"
)
STOCK_UPDATE = (
    "UPDATE inventory_stocklevel SET reserved = reserved + %s, updated_at = now() "
    "WHERE id = %s AND on_hand - reserved >= %s"
)
RESERVATION_INSERT = (
    "INSERT INTO inventory_reservation (public_id, account_id, stock_level_id, product_id, "
    "warehouse_id, quantity, order_line_id, reference, consumed_by, status, actor, created_at) "
    "SELECT r.*, '', 'active', 'system:auto_allocate', now() FROM unnest(%s::text[], "
    "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::bigint[], "
    "%s::text[]) AS r"
)


def _pid(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


def _order_tx(cur, cat: dict, rng) -> None:
    """One order created and allocated: the B_sql transaction, from Python."""
    account, n = cat["account"], cat["nskus"]
    picks = [rng.randrange(n) for _ in range(3)]
    skus = [f"SKU-{k:04d}" for k in picks]
    cur.execute(
        "SELECT id, active FROM catalog_product WHERE account_id = %s AND sku = ANY(%s)",
        (account, skus),
    )
    found = dict(zip(skus, [cat["prod0"] + k for k in picks], strict=True))
    order_public = _pid("ord")
    payload = order_payload()
    payload["id"] = order_public
    cur.execute(
        ORDER_INSERT,
        (order_public, account, "bpy-" + secrets.token_hex(12), json.dumps(SHIP_TO), 30, 30),
    )
    order_id = cur.fetchone()[0]
    cur.execute(
        LINES_INSERT,
        (
            [_pid("lin") for _ in picks], [account] * 3, [order_id] * 3, [0, 1, 2],
            [found[s] for s in skus], skus, [1, 1, 1], [10, 10, 10],
        ),
    )  # fmt: skip
    lines = cur.fetchall()
    cur.execute(
        HISTORY_INSERT,
        (account, order_id, "created", "pending", "pending", '{"lines": 3}', "client:bench"),
    )
    cur.execute(EVENT_INSERT, ([_pid("evt")], [account], ["order.created"], [json.dumps(payload)]))
    for k in sorted(picks):
        cur.execute(STOCK_UPDATE, (1, cat["level0"] + k, 1))
        if cur.rowcount != 1:
            raise RuntimeError("insufficient stock in B_py")
    cur.execute(
        RESERVATION_INSERT,
        (
            [_pid("rsv") for _ in lines], [account] * len(lines),
            [cat["level0"] + (pid - cat["prod0"]) for _, pid in lines], [pid for _, pid in lines],
            [cat["warehouse"]] * len(lines), [1] * len(lines), [lid for lid, _ in lines],
            [order_public] * len(lines),
        ),
    )  # fmt: skip
    cur.execute(
        "UPDATE orders_orderline SET quantity_allocated = quantity_allocated + quantity "
        "WHERE order_id = %s",
        (order_id,),
    )
    cur.execute(
        "INSERT INTO orders_package (public_id, account_id, order_id, warehouse_id, status, "
        "carrier, service, tracking_number, weight_unit, dimension_unit, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, 'pending', '', '', '', 'g', 'cm', now(), now()) RETURNING id",
        (_pid("pkg"), account, order_id, cat["warehouse"]),
    )
    package_id = cur.fetchone()[0]
    cur.execute(
        "INSERT INTO orders_packageline (account_id, package_id, order_line_id, quantity) "
        "SELECT %s, %s, l, 1 FROM unnest(%s::bigint[]) AS l",
        (account, package_id, [lid for lid, _ in lines]),
    )
    cur.execute(
        "UPDATE orders_order SET status = 'allocated', allocation_due_at = NULL, "
        "updated_at = now() WHERE id = %s",
        (order_id,),
    )
    cur.execute(
        HISTORY_INSERT,
        (account, order_id, "allocated", "pending", "allocated",
         '{"allocated_units": 3, "open_units": 0}', "system:auto_allocate"),
    )  # fmt: skip
    payload["status"] = "allocated"
    cur.execute(
        EVENT_INSERT,
        (
            [_pid("evt"), _pid("evt")], [account] * 2, ["package.created", "order.allocated"],
            [json.dumps(package_payload()), json.dumps(payload)],
        ),
    )  # fmt: skip


def _adjust_tx(cur, cat: dict, rng) -> None:
    """One adjustment: lock the level, conditional UPDATE, one ledger row, one outbox event."""
    k = rng.randrange(cat["nskus"])
    delta = rng.randint(1, 5) * rng.choice((1, -1))
    level = cat["level0"] + k
    cur.execute(
        "SELECT on_hand, reserved FROM inventory_stocklevel WHERE id = %s FOR NO KEY UPDATE",
        (level,),
    )
    cur.execute(
        "UPDATE inventory_stocklevel SET on_hand = on_hand + %s, updated_at = now() "
        "WHERE id = %s AND on_hand + %s >= reserved RETURNING on_hand, reserved",
        (delta, level, delta),
    )
    on_hand, reserved = cur.fetchone()
    movement = _pid("mov")
    cur.execute(
        "INSERT INTO inventory_stockmovement (public_id, account_id, product_id, warehouse_id, "
        "location_id, quantity, on_hand_after, reason, reference, note, actor, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, 'correction', '', '', 'client:bench', now())",
        (movement, cat["account"], cat["prod0"] + k, cat["warehouse"], cat["location"], delta,
         on_hand),
    )  # fmt: skip
    payload = adjust_payload()
    payload.update(movement_id=movement, delta=delta, on_hand=on_hand, reserved=reserved)
    cur.execute(
        EVENT_INSERT,
        ([_pid("evt")], [cat["account"]], ["inventory.adjusted"], [json.dumps(payload)]),
    )


_KINDS = {"order": _order_tx, "adjust": _adjust_tx}


def _py_client(dsn: str, kind: str, cat: dict, seconds: float, seed: int, ready, go, start, out):
    import random

    rng = random.Random(seed)
    tx = _KINDS[kind]
    done = 0
    with psycopg.connect(dsn) as conn:
        ready.put(seed)
        go.wait(300)
        deadline = start.value + seconds
        while time.time() < deadline:
            for attempt in range(5):
                try:
                    with conn.cursor() as cur:
                        tx(cur, cat, rng)
                    conn.commit()
                    done += 1
                    break
                except psycopg.errors.DeadlockDetected:
                    conn.rollback()
                    if attempt == 4:
                        raise
    out.put(done)


def b_py(cfg: Config, cat: Catalog, kind: str, *, clients: int, seconds: float) -> dict:
    """`clients` processes, each one connection running the transaction in a loop."""
    spec = {
        "account": cat.account_id,
        "nskus": len(cat.skus),
        "prod0": contiguous(cat.product_ids, "product"),
        "level0": contiguous(cat.level_ids, "stock level"),
        "warehouse": cat.warehouse_id,
        "location": cat.location_id,
    }
    ctx = multiprocessing.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=_py_client,
            args=(cfg.pg_dsn, kind, spec, seconds, i, ready, go, start, out),
        )
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    # Every client connected and waiting before the clock starts.
    for _ in procs:
        ready.get(timeout=300)
    start.value = time.time()
    go.set()
    for p in procs:
        p.join(seconds + 120)
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise SystemExit(f"B_py: {len(failed)} client processes failed (exit codes {failed})")
    total = sum(out.get(timeout=10) for _ in procs)
    return {"tps": total / seconds, "transactions": total}


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
