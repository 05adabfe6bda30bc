import django_filters
from django.db.models import Q

from orders.models import Order
from vectis.api.filters import CommaListFilter, TimestampFilterSet


class OrderFilterSet(TimestampFilterSet):
    status = CommaListFilter(field_name="status", help_text="One status or a comma list.")
    channel = django_filters.CharFilter(field_name="channel")
    external_id = django_filters.CharFilter(field_name="external_id")
    sku = django_filters.CharFilter(
        method="filter_sku", help_text="Orders with a line for this SKU (as ordered or product)."
    )
    warehouse = django_filters.CharFilter(
        method="filter_warehouse",
        help_text="Orders holding stock in, or shipped from, this warehouse (`wh_…`).",
    )
    q = django_filters.CharFilter(
        method="search", help_text="External id, customer name or email (contains)."
    )

    class Meta:
        model = Order
        fields = ["status", "channel", "external_id", "sku", "warehouse", "q"]

    def filter_sku(self, queryset, name, value):
        from orders.models import OrderLine

        lines = OrderLine.objects.filter(Q(sku=value) | Q(product__sku=value))
        return queryset.filter(pk__in=lines.values("order_id"))

    def filter_warehouse(self, queryset, name, value):
        from inventory.models import Reservation
        from orders.models import Package

        reserved = Reservation.objects.filter(
            warehouse__public_id=value, order_line__isnull=False
        ).values("order_line__order_id")
        shipped = Package.objects.filter(warehouse__public_id=value).values("order_id")
        return queryset.filter(Q(pk__in=reserved) | Q(pk__in=shipped))

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(external_id__icontains=value)
            | Q(customer_name__icontains=value)
            | Q(customer_email__icontains=value)
        )
