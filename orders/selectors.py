"""Order reads shared by the API, the admin and tasks: each list with what its rows show
loaded in a constant number of queries."""

from django.db.models import Prefetch

from orders.models import Order, OrderLine, Package, PackageLine


def orders_for_account(account):
    lines = OrderLine.objects.select_related("product").order_by("position")
    return Order.objects.filter(account=account).prefetch_related(Prefetch("lines", queryset=lines))


def packages_for_account(account):
    lines = PackageLine.objects.select_related("order_line").order_by("id")
    return (
        Package.objects.filter(account=account)
        .select_related("order", "warehouse")
        .prefetch_related(Prefetch("lines", queryset=lines), "tracking_events")
    )
