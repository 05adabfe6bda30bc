import json
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from catalog import services as catalog_services
from catalog.models import Product
from inventory import services as inventory_services
from orders import services as order_services
from vectis import tasks
from vectis.accounts import services
from vectis.accounts.models import ApiClient
from vectis.accounts.scopes import ALL_SCOPES
from vectis.commands import add_progress_argument, progress_bar
from warehouses import services as warehouse_services
from warehouses.models import Location, Warehouse

DEMO_ACCOUNT = "Demo Merchant"
DEMO_CLIENT = "demo"
DEMO_WAREHOUSES = [
    {
        "code": "PHX",
        "name": "Phoenix DC",
        "priority": 10,
        "address": {
            "name": "Phoenix DC",
            "address1": "4100 E Broadway Rd",
            "city": "Phoenix",
            "state": "AZ",
            "postal_code": "85040",
            "country": "US",
        },
    },
    {
        "code": "NJ",
        "name": "Newark Fulfilment",
        "priority": 5,
        "address": {
            "name": "Newark Fulfilment",
            "address1": "200 Port St",
            "city": "Newark",
            "state": "NJ",
            "postal_code": "07114",
            "country": "US",
        },
    },
]

# sku, name, price, stock in PHX, stock in NJ
DEMO_PRODUCTS = [
    ("TEE-BLK-M", "T-shirt, black, M", "19.00", 40, 25),
    ("MUG-WHT", "Mug, white", "12.50", 60, 0),
    ("TOTE-NAT", "Tote bag, natural", "15.00", 8, 30),
]
DEMO_KIT = ("GIFT-SET", "Gift set: mug and tote", "24.00", {"MUG-WHT": 1, "TOTE-NAT": 1})


def _seed_catalog_and_stock(account) -> None:
    """Demo products with stock in both warehouses, a kit and an order, the first time only."""
    if Product.objects.filter(account=account).exists():
        return
    locations = {
        wh.code: Location.objects.get(warehouse=wh, is_default=True)
        for wh in Warehouse.objects.filter(account=account)
    }
    for sku, name, price, phx, nj in DEMO_PRODUCTS:
        product = catalog_services.product_create(
            account=account,
            data={"sku": sku, "name": name, "price": price, "low_stock_threshold": 5},
        )
        for code, quantity in (("PHX", phx), ("NJ", nj)):
            if quantity and code in locations:
                inventory_services.adjust(
                    product=product,
                    location=locations[code],
                    reason="received",
                    quantity=quantity,
                    note="demo data",
                    actor="system:seed_demo",
                )
    sku, name, price, components = DEMO_KIT
    kit = catalog_services.product_create(
        account=account,
        data={
            "sku": sku,
            "name": name,
            "price": price,
            "type": "kit",
            "components": [{"sku": s, "quantity": q} for s, q in components.items()],
        },
    )
    order_services.order_create(
        account=account,
        data={
            "external_id": "DEMO-1001",
            "channel": "demo-shop",
            "items": [
                {"sku": "TEE-BLK-M", "quantity": 2, "price": "19.00"},
                {"sku": kit.sku, "quantity": 1, "price": kit.price},
            ],
            "ship_to": {
                "name": "Ada Lovelace",
                "address1": "12 Analytical Way",
                "city": "Phoenix",
                "state": "AZ",
                "postal_code": "85004",
                "country": "US",
            },
        },
        actor="system:seed_demo",
    )


def _kept_secret(path: Path, client: ApiClient) -> str | None:
    """The demo secret saved by an earlier run, if it is still this client's."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict):
        return None
    secret = saved.get("client_secret")
    if saved.get("client_id") != client.client_id or not isinstance(secret, str):
        return None
    return secret if check_password(secret, client.application.client_secret) else None


def _save_secret(path: Path, client: ApiClient, secret: str) -> None:
    """Readable by this user only: it is the demo account's password. Written beside the
    path and moved over it, so a link there is replaced, not followed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)
        json.dump({"client_id": client.client_id, "client_secret": secret}, f)
    os.replace(partial, path)


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo account with sample data and a client holding every "
        "scope; prints its credentials and a curl example. Safe to run again: the secret is "
        "kept (in VECTIS_DEMO_CREDENTIALS_FILE, .demo-credentials.json) until --rotate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--orders",
            type=int,
            default=0,
            help="Also this many generated orders, in every status (see docs/operations.md).",
        )
        parser.add_argument(
            "--products", type=int, default=50, help="Generated products (with --orders)."
        )
        parser.add_argument(
            "--warehouses",
            type=int,
            default=2,
            help="Warehouses in all (with --orders): the two demo ones and generated ones.",
        )
        parser.add_argument("--seed", type=int, default=1001, help="Random seed (with --orders).")
        add_progress_argument(parser)
        parser.add_argument("--json", action="store_true", help="Print only the credentials JSON.")
        parser.add_argument(
            "--rotate", action="store_true", help="Give the demo client a new secret."
        )

    def handle(self, *args, **options):
        path = Path(settings.VECTIS_DEMO_CREDENTIALS_FILE)
        if not os.access(path.parent if path.parent.exists() else Path.cwd(), os.W_OK):
            raise CommandError(
                f"Cannot write {path} (VECTIS_DEMO_CREDENTIALS_FILE): the secret could not be "
                "kept. Point it at a writable file."
            )
        rotated: bool | None = False  # None: a new client
        with transaction.atomic():
            account, _ = services.account_get_or_create(name=DEMO_ACCOUNT)
            for data in DEMO_WAREHOUSES:
                if not Warehouse.objects.filter(account=account, code=data["code"]).exists():
                    warehouse_services.warehouse_create(account=account, data=data)
            _seed_catalog_and_stock(account)
            client = ApiClient.objects.filter(account=account, name=DEMO_CLIENT).first()
            if client is None:
                issued = services.api_client_create(
                    account=account, name=DEMO_CLIENT, scopes=list(ALL_SCOPES)
                )
                client, secret = issued.client, issued.client_secret
                rotated = None  # new
            else:
                secret = None if options["rotate"] else _kept_secret(path, client)
                if secret is None:
                    secret = services.api_client_rotate_secret(client=client)
                    rotated = True
        _save_secret(path, client, secret)
        if options["orders"]:
            if options["orders"] < 0 or options["products"] < 3 or options["warehouses"] < 1:
                raise CommandError(
                    "--orders and --warehouses must be positive, --products at least 3."
                )
            Scale(self, account, options).run()

        creds = {
            "account_id": account.public_id,
            "client_id": client.client_id,
            "client_secret": secret,
            "scopes": client.scope_list,
        }
        if options["json"]:
            self.stdout.write(json.dumps(creds))
            return
        base = options["base_url"].rstrip("/")
        rotate = "`make run ROTATE=1` (or seed_demo --rotate) gives a new one"
        note = {
            None: f"Kept for the next runs; {rotate}.",
            True: f"A new secret: an earlier one no longer works. Kept from now on; {rotate}.",
            False: f"The same secret as the last run; {rotate}.",
        }[rotated]
        token_body = json.dumps(
            {
                "grant_type": "client_credentials",
                "client_id": client.client_id,
                "client_secret": secret,
            }
        )
        self.stdout.write(
            f"""
Vectis demo account ready: {account.name} ({account.public_id})

  client_id:     {client.client_id}
  client_secret: {secret}

Get a token, then list the demo warehouses, their stock and the demo order:

  TOKEN=$(curl -s -X POST {base}/oauth/token -H 'Content-Type: application/json' \\
    -d '{token_body}' \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s {base}/v1/warehouses -H "Authorization: Bearer $TOKEN"
  curl -s {base}/v1/inventory -H "Authorization: Bearer $TOKEN"
  curl -s {base}/v1/orders -H "Authorization: Bearer $TOKEN"

API docs: {base}/docs   ·   OpenAPI: {base}/v1/openapi.json
{note}
"""
        )


BATCH = 1_000
# Orders that go on through the per-order services (ship, deliver, return, cancel, hold): a
# share of the generated ones, at most these many, so that every status exists while the run
# stays a matter of minutes (the rest stay pending, allocated or backordered).
# Shipping is the slow one (a label per package, ~0.1 s each).
LIFECYCLE = {"ship": 300, "deliver": 150, "return": 40, "cancel": 200, "hold": 100}


class Scale:
    """`seed_demo --orders N`: a demo account the size of a real one. Products and stock first
    (about 85% of the demand, so some orders wait as backorders), then orders imported a
    thousand at a time as the CSV import writes them, allocated in batches as the dispatcher
    does, and a share shipped, delivered, returned, cancelled or held through the services.
    A webhook endpoint (disabled until you point it at a receiver) subscribes to everything."""

    def __init__(self, command, account, options):
        import random

        self.command, self.account, self.options = command, account, options
        self.rng = random.Random(options["seed"])  # noqa: S311 (demo data, not secrets)

    def bar(self, total, desc, unit="orders"):
        return progress_bar(
            self.command, total=total, desc=desc, unit=unit, enabled=self.options["progress"]
        )

    def run(self) -> None:
        from orders.models import Order

        start = Order.objects.filter(account=self.account, channel="demo-scale").count()
        wanted = self.options["orders"]
        if start >= wanted:
            self.command.stderr.write(f"{start} generated orders exist already: none added.")
            return
        # Nothing queued per order or event: the dispatcher, beat or `make run`'s scheduler
        # relay the events and check low stock afterwards, as their sweeps do.
        with tasks.left_to_sweeps():
            skus = self.products()
            warehouses = self.warehouses()
            self.stock(skus, warehouses, wanted - start)
            self.orders(skus, start, wanted)
            self.allocate(wanted - start)
            self.lifecycle(wanted - start)
            self.webhook()
        counts = dict(
            Order.objects.filter(account=self.account)
            .values_list("status")
            .annotate(n=models.Count("id"))
            .values_list("status", "n")
        )
        from returns.models import Return

        returned = dict(
            Return.objects.filter(order__account=self.account)
            .values_list("status")
            .annotate(n=models.Count("id"))
            .values_list("status", "n")
        )
        # on stderr: stdout is the credentials (JSON with --json)
        self.command.stderr.write("orders by status: " + json.dumps(counts, sort_keys=True))
        self.command.stderr.write("returns by status: " + json.dumps(returned, sort_keys=True))

    def products(self) -> list[str]:
        skus = [f"SCALE-{n:05d}" for n in range(1, self.options["products"] + 1)]
        have = set(
            Product.objects.filter(account=self.account, sku__in=skus).values_list("sku", flat=True)
        )
        with self.bar(len(skus) - len(have), "products", "products") as bar:
            for n, sku in enumerate(skus):
                if sku in have:
                    continue
                price = f"{5 + (n % 40)}.{n % 100:02d}"
                catalog_services.product_create(
                    account=self.account,
                    data={"sku": sku, "name": f"Generated product {n + 1}", "price": price},
                )
                bar.update()
        return skus

    def warehouses(self) -> list:
        existing = list(Warehouse.objects.filter(account=self.account).order_by("pk"))
        for n in range(len(existing) + 1, self.options["warehouses"] + 1):
            template = DEMO_WAREHOUSES[n % 2]
            data = {**template, "code": f"WH{n}", "name": f"Warehouse {n}", "priority": 1}
            existing.append(warehouse_services.warehouse_create(account=self.account, data=data))
        return existing[: self.options["warehouses"]]

    def stock(self, skus, warehouses, orders: int) -> None:
        # 1.5 lines of 1.5 units on average; 85% of it on hand, spread evenly
        per_level = max(1, int(orders * 2.25 * 0.85 / (len(skus) * len(warehouses))))
        with self.bar(len(skus) * len(warehouses), "stock", "levels") as bar:
            products = Product.objects.filter(account=self.account, sku__in=skus)
            for warehouse in warehouses:
                location = Location.objects.get(warehouse=warehouse, is_default=True)
                for product in products:
                    inventory_services.adjust(
                        product=product,
                        location=location,
                        reason="received",
                        quantity=per_level,
                        note="seed_demo --orders",
                        actor="system:seed_demo",
                    )
                    bar.update()

    def orders(self, skus, start: int, wanted: int) -> None:
        from orders.services.imports import orders_import

        names = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"]
        prices = dict(Product.objects.filter(account=self.account).values_list("sku", "price"))
        with self.bar(wanted - start, "orders") as bar:
            for first in range(start, wanted, BATCH):
                batch = []
                for n in range(first, min(first + BATCH, wanted)):
                    lines = self.rng.choice([1, 1, 2, 2, 3])
                    chosen = self.rng.sample(skus, lines)
                    name = self.rng.choice(names)
                    batch.append(
                        {
                            "channel": "demo-scale",
                            "external_id": f"SCALE-{n + 1:07d}",
                            "currency": "USD",
                            "items": [
                                {
                                    "sku": sku,
                                    "quantity": self.rng.choice([1, 1, 2, 3]),
                                    "price": prices[sku],
                                }
                                for sku in chosen
                            ],
                            "ship_to": {
                                "name": name,
                                "email": f"{name.split()[0].lower()}{n}@example.com",
                                "address1": f"{n % 900 + 1} Demo Street",
                                "city": "Phoenix",
                                "state": "AZ",
                                "postal_code": "85004",
                                "country": "US",
                            },
                        }
                    )
                with transaction.atomic():
                    outcomes = orders_import(
                        account=self.account, orders=batch, actor="system:seed_demo"
                    )
                failed = [o for o in outcomes if o.status != "created"]
                if failed:
                    raise CommandError(f"generated order refused: {failed[0].error}")
                bar.update(len(batch))

    def allocate(self, generated: int) -> None:
        """As the dispatcher would, oldest first, leaving the newest hundredth pending: the
        dispatcher (or `make run`'s scheduler) allocates those when it next runs."""
        from datetime import timedelta

        from orders import services as orders
        from orders.models import Order

        due = Order.objects.filter(account=self.account, allocation_due_at__isnull=False)
        left = max(1, generated // 100)
        with self.bar(max(0, due.count() - left), "allocation") as bar:
            before = None
            while (count := due.count()) > left and count != before:
                before = count  # stops when a round changed nothing (orders that fail)
                handled = orders.allocate_due(
                    older_than=timedelta(0), limit=min(BATCH, count - left)
                )
                bar.update(len(handled))

    def lifecycle(self, generated: int) -> None:
        from orders import constants
        from orders.models import Order

        actor = "system:seed_demo"
        share = max(4, generated // 10)  # at most a tenth of the new orders each
        limits = {kind: min(limit, share) for kind, limit in LIFECYCLE.items()}
        mine = Order.objects.filter(account=self.account, channel="demo-scale")
        allocated = list(
            mine.filter(status=constants.ALLOCATED).order_by("?")[: limits["ship"] + 300]
        )
        to_ship, rest = allocated[: limits["ship"]], allocated[limits["ship"] :]
        partial = list(mine.filter(status=constants.PARTIALLY_ALLOCATED))
        partial = partial[: min(limits["hold"] // 2, len(partial) // 2)]
        with self.bar(len(to_ship) + len(partial), "ship") as bar:
            for order in [*to_ship, *partial]:  # the partial ones: partially_shipped
                order_services.order_ship(order=order, actor=actor)
                bar.update()
        delivered = [
            order_services.order_deliver(order=order, actor=actor)
            for order in to_ship[: min(limits["deliver"], len(to_ship) // 2)]
        ]
        for n, order in enumerate(delivered[: limits["return"]]):
            self._return(order, steps=n % 4)
        waiting = list(
            mine.filter(status__in=[constants.PENDING, constants.BACKORDERED]).order_by("-pk")
        )
        # from the backorders (the newest hundredth stays pending), and from allocated orders
        cancelled = [*rest[: limits["cancel"] // 2], *waiting[-(limits["cancel"] // 2) :]]
        for order in cancelled:
            order_services.order_cancel(order=order, reason="demo", actor=actor)
        for order in rest[limits["cancel"] // 2 :][: limits["hold"]]:
            order_services.order_hold(order=order, reason="demo hold", actor=actor)

    def _return(self, order, *, steps: int) -> None:
        """A return left requested (0), authorized (1), received (2) or closed (3)."""
        from returns import services as returns

        actor = "system:seed_demo"
        line = order.lines.order_by("position").first()
        ret = returns.return_create(
            order=order,
            lines=[{"sku": line.sku, "quantity": 1, "reason": "no_longer_needed"}],
            actor=actor,
        )
        if steps >= 1:
            ret = returns.return_authorize(ret=ret, actor=actor)
        if steps >= 2:
            item = {"sku": line.sku, "quantity_received": 1, "condition": "new"}
            items = [{**item, "disposition": "restock"}]
            ret = returns.return_receive(ret=ret, items=items, actor=actor)
        if steps >= 3:
            returns.return_close(ret=ret, actor=actor)

    def webhook(self) -> None:
        from webhooks import services as webhooks
        from webhooks.models import WebhookEndpoint

        if WebhookEndpoint.objects.filter(account=self.account).exists():
            return
        webhooks.endpoint_create(
            account=self.account,
            data={
                "url": "https://receiver.example.com/vectis",
                "events": ["*"],
                "description": "Demo endpoint: point it at your receiver (manage.py "
                "webhook_listen) and enable it.",
                "active": False,
            },
        )
