"""Data sets, built in the harness process through Vectis's own services (accounts,
warehouses, stock adjustments that write the ledger, webhook endpoints) or, for the large list
data set, with COPY in the schema's own format (public ids as vectis/ids.py makes them)."""

import random
import secrets
import string
import time
import uuid
from dataclasses import dataclass, field

import psycopg

from bench.harness.env import Config


@dataclass
class Catalog:
    account_id: int
    account_name: str
    account_public_id: str
    warehouse_public_id: str
    location_id: int
    warehouse_id: int
    skus: list[str]
    product_ids: list[int]
    level_ids: list[int]
    hot_sku: str | None = None
    extra: dict = field(default_factory=dict)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{int(time.time())}-{uuid.uuid4().hex[:6]}"


def make_catalog(
    name: str,
    *,
    skus: int = 100,
    stock: int = 10_000_000,
    hot_stock: int | None = None,
    prefix: str = "SKU",
) -> Catalog:
    """An account with one warehouse (its default bin), `skus` products with `stock` units each
    received through inventory.adjust (so the ledger is true); with `hot_stock`, one more
    product HOT-… holding that many."""
    from django.db import connection

    from catalog.models import Product
    from inventory import services as inventory
    from inventory.models import StockLevel
    from vectis.accounts.models import Account
    from warehouses.models import Location
    from warehouses.services import warehouse_create

    account = Account.objects.create(name=name, auto_allocate=True)
    warehouse = warehouse_create(
        account=account, data={"code": "MAIN", "name": "Main", "priority": 10}
    )
    location = Location.objects.get(warehouse=warehouse, is_default=True)
    names = [f"{prefix}-{i:04d}" for i in range(skus)]
    hot = f"HOT-{prefix}" if hot_stock is not None else None
    products = Product.objects.bulk_create(
        [
            Product(account=account, sku=sku, name=f"Bench {sku}", price=10, weight=100)
            for sku in [*names, *([hot] if hot else [])]
        ]
    )
    for product in products:
        units = hot_stock if product.sku == hot else stock
        inventory.adjust(product=product, location=location, reason="received", quantity=units)
    levels = dict(StockLevel.objects.filter(account=account).values_list("product_id", "pk"))
    connection.close()
    return Catalog(
        account_id=account.pk,
        account_name=account.name,
        account_public_id=account.public_id,
        warehouse_public_id=warehouse.public_id,
        location_id=location.pk,
        warehouse_id=warehouse.pk,
        skus=names,
        product_ids=[p.pk for p in products if p.sku != hot],
        level_ids=[levels[p.pk] for p in products if p.sku != hot],
        hot_sku=hot,
        extra={
            "hot_product_id": next((p.pk for p in products if p.sku == hot), None),
            "hot_level_id": next((levels[p.pk] for p in products if p.sku == hot), None),
        },
    )


# What one S1 order emits: these types get exactly `per_event` endpoints each.
ORDER_EVENTS = ("order.created", "order.allocated", "package.created")


def make_endpoints(
    account_id: int, url: str, *, count: int = 200, per_event: int = 10, only=None
) -> int:
    """`count` endpoints on the stub, each subscribed to one event type: `per_event` to each
    type an S1 order emits (so 10 match each of its events), the rest spread over the other
    types of the catalogue. With `only`, every endpoint subscribes to that one type."""
    from vectis.accounts.models import Account
    from webhooks import event_types
    from webhooks.services import endpoint_create

    account = Account.objects.get(pk=account_id)
    others = [t for t in event_types.EVENT_TYPES if t not in ORDER_EVENTS]
    for i in range(count):
        if only:
            kind = only
        elif i < per_event * len(ORDER_EVENTS):
            kind = ORDER_EVENTS[i // per_event]
        else:
            kind = others[(i - per_event * len(ORDER_EVENTS)) % len(others)]
        endpoint_create(account=account, data={"url": f"{url}/hook/{i}", "events": [kind]})
    return count


# --- the list data set: COPY in the schema's format ----------------------------------------------
_ALPHABET = string.ascii_letters + string.digits


def public_id(prefix: str) -> str:
    """As vectis/ids.py: prefix, underscore, 20 random base62 characters."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


def copy_orders(cfg: Config, cat: Catalog, n: int, *, lines_per_order: int = 3) -> float:
    """`n` allocated-looking orders (with their lines) in the catalog's account by COPY; returns
    the seconds it took. Rows match what intake writes (columns, JSON, money, status)."""
    rng = random.Random(13)
    started = time.monotonic()
    ship_to = (
        '{"name": "Bench Buyer", "address1": "1 Main St", "city": "Springfield", '
        '"postal_code": "12345", "country": "US"}'
    )
    with psycopg.connect(cfg.pg_dsn) as conn:
        base = conn.execute("SELECT now() - interval '30 days'").fetchone()[0]
        order_cols = (
            "public_id, account_id, channel, external_id, status, sub_status, hold_reason, "
            "currency, ship_to, customer_name, customer_email, shipping_method, notes, tags, "
            "metadata, shipping, tax, discount, subtotal, total, payment, priority, created_at, "
            "updated_at"
        )
        with conn.cursor() as cur:
            with cur.copy(f"COPY orders_order ({order_cols}) FROM STDIN") as copy:
                for i in range(n):
                    ts = base + _seconds(i * 30 * 86400 / max(n, 1))
                    copy.write_row(
                        (public_id("ord"), cat.account_id, "web", f"LIST-{i:08d}", "pending",
                         "", "", "USD", ship_to, "Bench Buyer", "", "", "", "[]", "{}",
                         0, 0, 0, 30, 30, "{}", 0, ts, ts)
                    )  # fmt: skip
            first = cur.execute(
                "SELECT min(id), max(id) FROM orders_order WHERE account_id = %s AND "
                "external_id LIKE 'LIST-%%'",
                (cat.account_id,),
            ).fetchone()
            line_cols = (
                "public_id, account_id, order_id, position, product_id, sku, quantity, price, "
                "quantity_allocated, quantity_shipped, quantity_cancelled, quantity_returned"
            )
            with cur.copy(f"COPY orders_orderline ({line_cols}) FROM STDIN") as copy:
                for order_id in range(first[0], first[1] + 1):
                    for pos in range(lines_per_order):
                        k = rng.randrange(len(cat.skus))
                        copy.write_row(
                            (public_id("lin"), cat.account_id, order_id, pos, cat.product_ids[k],
                             cat.skus[k], 1, 10, 0, 0, 0, 0)
                        )  # fmt: skip
        conn.commit()
        conn.autocommit = True
        # What autovacuum does to a table this size within a minute of the load (its insert
        # threshold): statistics, and the visibility map that index-only scans (the bounded
        # COUNT of meta.total) rely on. Without it every counted row is a heap visit.
        conn.execute("VACUUM (ANALYZE) orders_order")
        conn.execute("VACUUM (ANALYZE) orders_orderline")
    return time.monotonic() - started


def _seconds(s: float):
    from datetime import timedelta

    return timedelta(seconds=s)


ORDERS_CSV_HEADER = [
    "channel", "external_id", "sku", "quantity", "price", "currency", "ship_to_name",
    "ship_to_address1", "ship_to_city", "ship_to_postal_code", "ship_to_country",
    "ship_to_email", "shipping",
]  # fmt: skip


def write_orders_csv(path, rows: int, *, prefix: str = "SKU", skus: int = 100) -> None:
    """`rows` order lines, 3 per order (the last order may have fewer), on `skus` uniform
    SKUs: the S8 orders import file."""
    import csv
    import random

    rng = random.Random(42)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ORDERS_CSV_HEADER)
        for row in range(rows):
            order, line = divmod(row, 3)
            first = line == 0
            writer.writerow(
                ["bench", f"IMP-{order:07d}", f"{prefix}-{rng.randrange(skus):04d}",
                 rng.randint(1, 3), f"{rng.uniform(5, 150):.2f}",
                 *(["USD", f"Customer {order}", f"{order} Main St", "Phoenix", "85001", "US",
                    f"c{order}@example.com", "4.99"] if first else [""] * 8)]
            )  # fmt: skip
