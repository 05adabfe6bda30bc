"""Filter and sort building blocks for list endpoints."""

from datetime import UTC, datetime, time

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend


class DateOrDateTimeField(forms.Field):
    """Accepts `2026-01-01` (midnight UTC) or an ISO 8601 date-time."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        message = "Use an ISO 8601 date (2026-01-31) or date-time (2026-01-31T10:00:00Z)."
        try:
            parsed = parse_datetime(value)
            day = parse_date(value) if parsed is None else None
        except ValueError:  # well-formed but impossible, like 2026-02-30
            raise forms.ValidationError(message, code="invalid") from None
        if parsed is None:
            if day is None:
                raise forms.ValidationError(message, code="invalid")
            parsed = datetime.combine(day, time.min)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, UTC)
        return parsed


class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


class StrictBooleanField(forms.Field):
    """`true`/`false` (or 1/0); anything else is an error rather than "no filter"."""

    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        lowered = str(value).lower()
        if lowered in self.TRUE:
            return True
        if lowered in self.FALSE:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CommaListFilter(django_filters.Filter):
    """`?status=a,b` matches any of the listed values."""

    field_class = forms.CharField

    def filter(self, qs, value):
        if not value:
            return qs
        values = [v.strip() for v in value.split(",") if v.strip()]
        return qs.filter(**{f"{self.field_name}__in": values}) if values else qs


class TimestampFilterSet(django_filters.FilterSet):
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = DateOrDateTimeFilter(field_name="updated_at", lookup_expr="gte")


class SortFilter(BaseFilterBackend):
    """`?sort=field` or `?sort=-field` over the view's `sort_fields`; ties broken by pk."""

    param = "sort"

    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "sort_fields", ())
        raw = request.query_params.get(self.param)
        if not raw:
            default = getattr(view, "default_sort", None)
            return queryset.order_by(default, "pk") if default else queryset
        name = raw.lstrip("-")
        if name not in fields:
            raise ValidationError(
                {self.param: [f"Sort by one of: {', '.join(fields)} (prefix '-' to reverse)."]}
            )
        desc = raw.startswith("-")
        return queryset.order_by(f"-{name}" if desc else name, "-pk" if desc else "pk")

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "sort_fields", ())
        if not fields:
            return []
        return [
            {
                "name": self.param,
                "in": "query",
                "required": False,
                "description": "Sort field, `-` prefix for descending.",
                "schema": {"type": "string", "enum": [*fields, *[f"-{f}" for f in fields]]},
            }
        ]
