import json
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand
from django.db import transaction

from catalog import services as catalog_services
from catalog.models import Product
from inventory import services as inventory_services
from orders import services as order_services
from vectis.accounts import services
from vectis.accounts.models import ApiClient
from vectis.accounts.scopes import ALL_SCOPES
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
    secret = saved.get("client_secret") if isinstance(saved, dict) else None
    if saved.get("client_id") != client.client_id or not isinstance(secret, str):
        return None
    return secret if check_password(secret, client.application.client_secret) else None


def _save_secret(path: Path, client: ApiClient, secret: str) -> None:
    """Readable by this user only: it is the demo account's password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"client_id": client.client_id, "client_secret": secret}, f)


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo account with sample data and a client holding every "
        "scope; prints its credentials and a curl example. Safe to run again: the secret is "
        "kept (in VECTIS_DEMO_CREDENTIALS_FILE, .demo-credentials.json) until --rotate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--json", action="store_true", help="Print only the credentials JSON.")
        parser.add_argument(
            "--rotate", action="store_true", help="Give the demo client a new secret."
        )

    def handle(self, *args, **options):
        path = Path(settings.VECTIS_DEMO_CREDENTIALS_FILE)
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
