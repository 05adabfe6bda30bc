import django_filters

from vectis.api.filters import CommaListFilter, DateOrDateTimeFilter
from webhooks.models import Delivery, Event


class DeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Delivery.STATUSES)
    event_type = CommaListFilter(field_name="event_type", help_text="Comma-separated types.")
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["status", "event_type", "created_after", "created_before"]


class EventFilterSet(django_filters.FilterSet):
    type = CommaListFilter(field_name="type", help_text="Comma-separated event types.")
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["type", "created_after", "created_before"]
