"""B_py: the statements of an order (or an adjustment) sent from a plain psycopg loop in
Python, one connection per client, so that Vectis is compared with the same work minus itself."""

import json
import multiprocessing
import secrets
import string
import time

import psycopg

from bench.harness.data import Catalog
from bench.harness.env import Config
from bench.harness.payloads import (
    SHIP_TO,
    adjust_payload,
    contiguous,
    order_payload,
    package_payload,
)

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
