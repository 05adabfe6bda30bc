import django_filters

from orders.models import Order
from vectis.api.filters import CommaListFilter, TimestampFilterSet


class OrderFilterSet(TimestampFilterSet):
    status = CommaListFilter(field_name="status", help_text="One status or a comma list.")
    channel = django_filters.CharFilter(field_name="channel")
    external_id = django_filters.CharFilter(field_name="external_id")

    class Meta:
        model = Order
        fields = ["status", "channel", "external_id"]
