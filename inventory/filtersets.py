import django_filters
from django.db.models import Q
from django.utils import timezone

from inventory.models import Reservation, StockMovement, lapsed_at
from vectis.api.filters import CommaListFilter, DateOrDateTimeFilter


class MovementFilterSet(django_filters.FilterSet):
    product = CommaListFilter(
        field_name="product__public_id", help_text="Product id (`prd_…`), or a comma list."
    )
    sku = CommaListFilter(field_name="product__sku", help_text="SKU, or a comma-separated list.")
    warehouse = CommaListFilter(field_name="warehouse__public_id", help_text="Warehouse id(s).")
    location = CommaListFilter(field_name="location__public_id", help_text="Location id(s).")
    reason = CommaListFilter(field_name="reason", help_text="One reason or a comma list.")
    reference = django_filters.CharFilter(field_name="reference")
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockMovement
        fields = ["product", "sku", "warehouse", "location", "reason", "reference"]


class ReservationFilterSet(django_filters.FilterSet):
    reference = django_filters.CharFilter(field_name="reference")
    status = CommaListFilter(
        method="filter_status",
        help_text="One status or a comma list. A hold past its expiry counts as expired.",
    )
    product = CommaListFilter(field_name="product__public_id", help_text="Product id(s).")
    sku = CommaListFilter(field_name="product__sku", help_text="SKU(s).")
    warehouse = CommaListFilter(field_name="warehouse__public_id", help_text="Warehouse id(s).")
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Reservation
        fields = ["reference", "status", "product", "sku", "warehouse"]

    def filter_status(self, queryset, name, value):
        now = timezone.now()
        lapsed = lapsed_at(now)
        match = Q(pk__in=[])
        for status in value:
            if status == Reservation.ACTIVE:
                match |= Q(status=Reservation.ACTIVE) & ~lapsed
            elif status == Reservation.EXPIRED:
                match |= Q(status=Reservation.EXPIRED) | lapsed
            else:
                match |= Q(status=status)
        return queryset.filter(match)
