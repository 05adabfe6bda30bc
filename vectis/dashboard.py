"""The shift dashboard (the admin index): what waits for the floor, per account and warehouse.

A fixed number of grouped queries whatever the data (at most 10), each limited to the accounts
the user may see. Every figure carries the admin URL of the list it counts.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from inventory.models import LowStockRule
from inventory.selectors import with_stock_totals
from orders import constants
from orders.models import Order, OrderLine, Package
from returns.models import Return
from vectis.accounts.models import Account
from warehouses.models import Warehouse
from webhooks.models import WebhookEndpoint

LOW_STOCK_SHOWN = 10


@dataclass
class Figure:
    label: str
    count: int
    url: str


@dataclass
class LowSku:
    sku: str
    warehouse: str
    available: int
    threshold: int | None
    demand: int  # units ordered and not yet allocated
    url: str


@dataclass
class WarehouseRow:
    warehouse: Warehouse
    figures: list[Figure]


@dataclass
class AccountBlock:
    account: Account
    orders: list[Figure]
    warehouses: list[WarehouseRow] = field(default_factory=list)
    low_stock: list[LowSku] = field(default_factory=list)
    low_stock_total: int = 0
    failing_endpoints: Figure | None = None


def _url(name: str, **params) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def shift_dashboard(account_ids: list[int] | None, *, now: datetime | None = None) -> list:
    """One block per account (`account_ids`, None for all) with its figures."""
    now = now or timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)

    def mine(queryset, field_name="account_id"):
        if account_ids is None:
            return queryset
        return queryset.filter(**{f"{field_name}__in": account_ids})

    accounts = list(mine(Account.objects.filter(active=True), "id").order_by("name"))
    warehouses = list(mine(Warehouse.objects.filter(active=True)).order_by("priority", "code"))

    statuses: dict[tuple[int, str], int] = {
        (row["account_id"], row["status"]): row["n"]
        for row in mine(Order.objects.filter(status__in=_ORDER_FIGURES))
        .values("account_id", "status")
        .annotate(n=Count("id"))
    }
    to_ship = _by_warehouse(mine(Package.objects.filter(status=Package.PENDING)))
    shipped_today = _by_warehouse(
        mine(Package.objects.filter(shipped_at__gte=start_of_day, status__in=_SHIPPED))
    )
    to_receive = _by_warehouse(mine(Return.objects.filter(status=Return.AUTHORIZED)))
    low = _low_stock(mine)
    no_stock_row = _demand_without_stock(mine)
    failing = {
        row["account_id"]: row["n"]
        for row in mine(WebhookEndpoint.objects.filter(Q(failing_since__isnull=False) | _DISABLED))
        .values("account_id")
        .annotate(n=Count("id"))
    }

    blocks = []
    for account in accounts:
        acc = {"account__id__exact": account.pk}
        block = AccountBlock(
            account=account,
            orders=[
                Figure(
                    label,
                    statuses.get((account.pk, status), 0),
                    _url("orders_order", status__exact=status, **acc),
                )
                for status, label in _ORDER_FIGURES.items()
            ],
        )
        for wh in (w for w in warehouses if w.account_id == account.pk):
            where = {"warehouse__id__exact": wh.pk}
            block.warehouses.append(
                WarehouseRow(
                    wh,
                    [
                        Figure(
                            "to pick, pack, ship",
                            to_ship.get(wh.pk, 0),
                            _url("orders_package", status__exact=Package.PENDING, **where),
                        ),
                        Figure(
                            "shipped today",
                            shipped_today.get(wh.pk, 0),
                            _url(
                                "orders_package",
                                shipped_at__gte=start_of_day.isoformat(),
                                **where,
                            ),
                        ),
                        Figure(
                            "returns to receive",
                            to_receive.get(wh.pk, 0),
                            _url("returns_return", status__exact=Return.AUTHORIZED, **where),
                        ),
                    ],
                )
            )
        rows = [r for r in low + no_stock_row if r[0] == account.pk]
        block.low_stock_total = len(rows)
        block.low_stock = [r[1] for r in rows[:LOW_STOCK_SHOWN]]
        block.failing_endpoints = Figure(
            "failing or disabled webhook endpoints",
            failing.get(account.pk, 0),
            _url("webhooks_webhookendpoint", health="failing", **acc),
        )
        blocks.append(block)
    return blocks


_ORDER_FIGURES = {
    constants.PENDING: "orders to allocate",
    constants.BACKORDERED: "backordered",
    constants.PARTIALLY_ALLOCATED: "partially allocated",
    constants.ALLOCATED: "allocated, to pick",
    constants.ON_HOLD: "on hold",
}
_SHIPPED = [Package.SHIPPED, Package.IN_TRANSIT, Package.DELIVERED]
_DISABLED = Q(active=False) & ~Q(disabled_reason="")
_OPEN = F("quantity") - F("quantity_allocated") - F("quantity_shipped") - F("quantity_cancelled")
_WAITING = [constants.PENDING, constants.BACKORDERED, constants.PARTIALLY_ALLOCATED]


def _by_warehouse(queryset) -> dict[int, int]:
    return dict(
        queryset.values("warehouse_id").annotate(n=Count("id")).values_list("warehouse_id", "n")
    )


def _demand(mine) -> dict[int, int]:
    """product id → units ordered and not yet allocated, over orders waiting for stock."""
    rows = (
        mine(OrderLine.objects.filter(order__status__in=_WAITING))
        .annotate(open=_OPEN)
        .filter(open__gt=0)
        .values("product_id")
        .annotate(units=Sum("open"))
    )
    return {r["product_id"]: r["units"] for r in rows}


def _low_stock(mine) -> list[tuple[int, LowSku]]:
    """(account id, row) for each (product, warehouse) flagged low, with what is available."""
    rules = list(
        with_stock_totals(mine(LowStockRule.objects.filter(is_low=True)))
        .select_related("product", "warehouse")
        .order_by("warehouse__code", "product__sku")
    )
    if not rules:
        return []
    demand = _demand(mine)
    return [
        (
            rule.account_id,
            LowSku(
                sku=rule.product.sku,
                warehouse=rule.warehouse.code,
                available=rule.available_sum or 0,
                threshold=rule.threshold_in_force,
                demand=demand.get(rule.product_id, 0),
                url=_url(
                    "inventory_stocklevel",
                    q=rule.product.sku,
                    warehouse__id__exact=rule.warehouse_id,
                ),
            ),
        )
        for rule in rules
    ]


def _demand_without_stock(mine) -> list[tuple[int, LowSku]]:
    """SKUs that orders wait for and that no location holds a stock row of."""
    rows = (
        mine(
            OrderLine.objects.filter(
                order__status__in=_WAITING,
                product__type=Product.TYPE_SIMPLE,  # kits have no stock rows of their own
                product__stock_levels__isnull=True,
            )
        )
        .annotate(open=_OPEN)
        .filter(open__gt=0)
        .values("account_id", "product__sku")
        .annotate(units=Sum("open"))
        .order_by("product__sku")
    )
    return [
        (
            r["account_id"],
            LowSku(
                sku=r["product__sku"],
                warehouse="—",
                available=0,
                threshold=None,
                demand=r["units"],
                url=_url("orders_order", status__exact=constants.BACKORDERED, q=r["product__sku"]),
            ),
        )
        for r in rows
    ]
