import django_filters

from vectis.api.filters import CommaListFilter, DateOrDateTimeFilter
from webhooks.event_types import EVENT_TYPES
from webhooks.models import Delivery, Event


class DeliveryFilterSet(django_filters.FilterSet):
    status = CommaListFilter(help_text="One status or a comma list.")
    event_type = CommaListFilter(
        field_name="event_type", choices=list(EVENT_TYPES), help_text="One type or a comma list."
    )
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Delivery
        fields = ["status", "event_type", "created_after", "created_before"]


class EventFilterSet(django_filters.FilterSet):
    type = CommaListFilter(
        field_name="type", choices=list(EVENT_TYPES), help_text="One type or a comma list."
    )
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["type", "created_after", "created_before"]
