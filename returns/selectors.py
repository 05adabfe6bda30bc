"""Return reads shared by the API and the admin: returns with their lines and receipts loaded."""

from django.db.models import Prefetch

from returns.models import Return, ReturnLine, ReturnReceipt


def returns_for_account(account):
    lines = ReturnLine.objects.select_related("order_line").prefetch_related(
        Prefetch("receipts", queryset=ReturnReceipt.objects.select_related("location"))
    )
    return (
        Return.objects.filter(account=account)
        .select_related("order", "warehouse")
        .prefetch_related(Prefetch("lines", queryset=lines))
    )
