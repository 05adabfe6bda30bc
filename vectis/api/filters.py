"""Filter and sort building blocks for list endpoints.

One rule for every query parameter a list understands (filters, `sort`, `page`, `per_page`):
a value that cannot be understood is a 400 `validation_error` whose `field` is the parameter.
Sent empty (`?created_after=`), sent twice (`?status=a&status=b`), an unknown choice (`bogus`,
`PENDING`, `canceled`) or a date that cannot be rendered back: all refused, never ignored.
`check_query_params` enforces the first two for every parameter, the filter fields the rest.
"""

from collections.abc import Iterable

import django_filters
from django import forms
from django.http import QueryDict
from django_filters.filters import BaseCSVFilter, Filter
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.filters import BaseFilterBackend

from vectis.serializers import parse_date_time


def check_query_params(params: QueryDict, names: Iterable[str]) -> None:
    """Each of `names` present in the query string is sent once and is not empty."""
    errors = {}
    for name in names:
        values = params.getlist(name)
        if len(values) > 1:
            message = f"Send {name} once; separate several values with commas."
            errors[name] = [ErrorDetail(message, code="repeated")]
        elif values and not values[0].strip():
            message = f"{name} is empty; leave it out to not filter by it."
            errors[name] = [ErrorDetail(message, code="blank")]
    if errors:
        raise ValidationError(errors)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing empty and repeated filter parameters first."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            check_query_params(request.query_params, filterset_class.base_filters)
        return super().filter_queryset(request, queryset, view)


def _invalid(message: str, code: str = "invalid") -> forms.ValidationError:
    # django-filter %-formats every message; passing it as a parameter keeps a "%" in it (or in
    # the value it quotes) literal.
    return forms.ValidationError("%(message)s", code=code, params={"message": message})


# --- dates ------------------------------------------------------------------------------------
class DateOrDateTimeField(forms.Field):
    """`2026-01-31` (midnight UTC) or an RFC 3339 date-time with an offset, as UTC."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_date_time(value, allow_date=True)
        except ValueError as exc:
            raise _invalid(str(exc)) from None


# What DateOrDateTimeField takes, as JSON Schema: a date or an RFC 3339 date-time with an
# offset, years from 1000, up to 6 fractional digits. Not expressible: the instant must also
# fall within years 1000-9999 in UTC (9999-12-31T23:00:00-05:00 does not).
DATE_OR_DATE_TIME_SCHEMA = {
    "type": "string",
    "anyOf": [{"format": "date"}, {"format": "date-time"}],
    "pattern": (
        r"^[1-9]\d{3}-\d{2}-\d{2}"
        r"(?:[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:[Zz]|[+-]\d{2}:\d{2}))?$"
    ),
    "description": "A date (midnight UTC) or an RFC 3339 date-time with an offset; years "
    "1000 to 9999, in UTC as well.",
}


@extend_schema_field(DATE_OR_DATE_TIME_SCHEMA)
class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


@extend_schema_field(DATE_OR_DATE_TIME_SCHEMA)
class DateOrDateTimeQueryField(serializers.CharField):
    """A query parameter of a serializer taking what DateOrDateTimeField takes."""

    def to_internal_value(self, data):
        try:
            return DateOrDateTimeField().clean(super().to_internal_value(data))
        except forms.ValidationError as exc:
            raise ValidationError(exc.messages[0], code="invalid") from None


# --- booleans ---------------------------------------------------------------------------------
class StrictBooleanField(forms.Field):
    """`true` or `false`, as the schema types it; anything else (`1`, `yes`, `True`) is an
    error rather than "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value == "true":
            return True
        if value == "false":
            return False
        raise _invalid("Use true or false.")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


# --- values and lists of values ---------------------------------------------------------------
class CommaListField(forms.Field):
    """`a` or `a,b`: no empty entries; with `choices`, each entry must be one (exactly)."""

    def __init__(self, *, choices=None, **kwargs):
        self.allowed = [value for value, _ in choices] if choices is not None else None
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if "\x00" in str(value):
            # As Django's CharField: a NUL cannot be in any stored value.
            raise _invalid("Null characters are not allowed.", "null_characters_not_allowed")
        entries = [entry.strip() for entry in str(value).split(",")]
        if "" in entries:
            raise _invalid("An entry of the list is empty; separate values with single commas.")
        if self.allowed is not None:
            unknown = next((entry for entry in entries if entry not in self.allowed), None)
            if unknown is not None:
                shown = unknown if len(unknown) <= 40 else unknown[:40] + "…"
                raise _invalid(
                    f"Unknown value {shown!r}; use one or more of: {', '.join(self.allowed)}.",
                    "invalid_choice",
                )
        return list(dict.fromkeys(entries))


# What Python's str.strip() removes, plus NUL, as a regex class listed out: `\s` differs between
# regex engines (ECMA's lacks U+001C-U+001F and U+0085), and the schema is read by both.
SPACE_OR_NUL = (
    r"\u0000\t-\r\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
# An entry of a comma-separated list, as JSON Schema: no comma or NUL, not only spaces.
LIST_ENTRY_SCHEMA = {
    "type": "string",
    "pattern": rf"^[^,\u0000]*[^,{SPACE_OR_NUL}][^,\u0000]*$",
}


@extend_schema_field({"type": "array", "items": LIST_ENTRY_SCHEMA})
class CommaListQueryField(serializers.CharField):
    """A query parameter of a serializer taking what CommaListField takes (`a` or `a,b`), as
    a list."""

    def to_internal_value(self, data):
        try:
            return CommaListField().clean(super().to_internal_value(data))
        except forms.ValidationError as exc:
            raise ValidationError(exc.messages[0], code="invalid") from None


class CommaListFilter(BaseCSVFilter):
    """`?status=a,b` matches any of the listed values.

    Knows its allowed values: `choices` if given, else the choices of the model field it filters
    (`status`, `reason`, …), so a list over a field with choices refuses unknown values by
    default. Documented in the schema as an array (`style: form`, `explode: false`).
    """

    field_class = CommaListField

    def __init__(self, *args, choices=None, **kwargs):
        kwargs.setdefault("lookup_expr", "in")
        if choices is not None:
            kwargs["choices"] = [c if isinstance(c, tuple | list) else (c, c) for c in choices]
        # BaseCSVFilter's own __init__ would wrap the field in a CSV widget; parsing is ours.
        Filter.__init__(self, *args, **kwargs)

    @property
    def field(self):
        if "choices" not in self.extra and getattr(self, "model", None) is not None:
            model_field = get_model_field(self.model, self.field_name)
            if model_field is not None and model_field.choices:
                self.extra["choices"] = list(model_field.choices)
        return super().field


class TimestampFilterSet(django_filters.FilterSet):
    created_after = DateOrDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateOrDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = DateOrDateTimeFilter(field_name="updated_at", lookup_expr="gte")


# --- sorting ----------------------------------------------------------------------------------
class SortFilter(BaseFilterBackend):
    """`?sort=field` or `?sort=-field` over the view's `sort_fields`; ties broken by pk in the
    same direction (so one index on (field, id) serves both, and keyset cursors compare rows).
    No `sort` is the view's `default_sort`, exactly as if it were sent."""

    param = "sort"

    def filter_queryset(self, request, queryset, view):
        fields = getattr(view, "sort_fields", ())
        check_query_params(request.query_params, [self.param])
        raw = request.query_params.get(self.param)
        if raw is None:
            raw = getattr(view, "default_sort", None)
            if raw is None:
                return queryset
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


ATOMIC = OpenApiParameter(
    "atomic", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="All or nothing."
)


def bool_param(request, name: str) -> bool:
    """A boolean query parameter (default false), the only one the request may send."""
    check_query_params(request.query_params, [name])
    try:
        return bool(StrictBooleanField().clean(request.query_params.get(name, "false")))
    except forms.ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None
