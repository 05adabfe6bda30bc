import django_filters
from django.db.models import Q

from vectis.api.filters import BooleanFilter, CommaListFilter, TimestampFilterSet
from warehouses.models import Location, Warehouse


class WarehouseFilterSet(TimestampFilterSet):
    active = BooleanFilter()
    code = CommaListFilter(field_name="code", help_text="Exact code, or a comma-separated list.")
    q = django_filters.CharFilter(method="search", help_text="Search code and name.")

    class Meta:
        model = Warehouse
        fields = ["active", "code", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class LocationFilterSet(TimestampFilterSet):
    warehouse = django_filters.CharFilter(
        field_name="warehouse__public_id", help_text="Warehouse id (`wh_…`)."
    )
    code = CommaListFilter(field_name="code", help_text="Exact code, or a comma-separated list.")
    pickable = BooleanFilter()
    active = BooleanFilter()
    q = django_filters.CharFilter(method="search", help_text="Search code and name.")

    class Meta:
        model = Location
        fields = ["warehouse", "code", "pickable", "active", "q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))
