"""Filters of GET /v1/returns."""

import django_filters

from returns.models import Return
from vectis.api.filters import CommaListFilter, TimestampFilterSet


class ReturnFilterSet(TimestampFilterSet):
    status = CommaListFilter(field_name="status", help_text="One status or a comma list.")
    order = django_filters.CharFilter(field_name="order__public_id", help_text="Order id.")
    rma_number = django_filters.CharFilter(field_name="rma_number")

    class Meta:
        model = Return
        fields = ["status", "order", "rma_number"]
