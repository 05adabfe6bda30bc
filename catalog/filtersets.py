import django_filters
from django.db.models import Q

from catalog.models import Product, SkuAlias
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


class AliasFilterSet(django_filters.FilterSet):
    channel = CommaListFilter(field_name="channel", help_text="A channel, or a comma list.")
    alias = CommaListFilter(field_name="alias", help_text="An alias, or a comma list.")
    sku = CommaListFilter(field_name="product__sku", help_text="The product's SKU, or a list.")
    product_id = CommaListFilter(field_name="product__public_id", help_text="`prd_…`, or a list.")

    class Meta:
        model = SkuAlias
        fields = ["channel", "alias", "sku", "product_id"]
