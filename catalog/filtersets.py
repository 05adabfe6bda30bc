import django_filters
from django.db.models import Q

from catalog.models import Product
from vectis.api.filters import BooleanFilter, CommaListFilter, TimestampFilterSet


class ProductFilterSet(TimestampFilterSet):
    sku = CommaListFilter(field_name="sku", help_text="Exact SKU, or a comma-separated list.")
    q = django_filters.CharFilter(method="search", help_text="Search SKU, name and barcode.")
    active = BooleanFilter()
    tracking = CommaListFilter(help_text="One tracking mode or a comma list.")
    type = CommaListFilter(help_text="`simple`, `kit`, or both.")

    class Meta:
        model = Product
        fields = ["sku", "q", "active", "tracking", "type"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(sku__icontains=value) | Q(name__icontains=value) | Q(barcode__icontains=value)
        )
