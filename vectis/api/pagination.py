"""List pagination answering `{"data": [...], "meta": {...}}`.

Two ways through a list:

- `?page=&per_page=` for browsing. `meta.total` is exact while it is cheap: the count stops at
  `EXACT_COUNT_LIMIT` + 1 rows; beyond that PostgreSQL's planner estimate is given instead and
  `meta.total_estimated` is true (SQLite, the embedded default, always counts exactly).
- `?cursor=` for deep sync: keyset pagination on the list's sort (`(sort field, id)`), which
  costs the same at row 500,000 as at row 1, returns no total and cannot skip or repeat a row
  between requests. Every page (in either mode) carries `meta.next_cursor`, the position after
  its last row, or null at the end (and on lists that have no cursor). Cursors are opaque
  (encrypted with `VECTIS_ENCRYPTION_KEYS`) and tied to the sort they were made with.
"""

import json
import math

from cryptography.fernet import InvalidToken
from django.db import connection
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from vectis import crypto
from vectis.api.filters import check_query_params

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
# Deeper than this, page through with `cursor` (an offset this deep is slow anyway).
MAX_PAGE = 1_000_000
# Above this many matches `meta.total` is an estimate (DESIGN.md §7: exact only while cheap).
EXACT_COUNT_LIMIT = 10_000


def _positive_int(raw: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [f"{name} must be a whole number."]}, code="invalid") from None
    if value < 1:
        raise ValidationError({name: [f"{name} must be at least 1."]}, code="min_value")
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"{name} must be at most {maximum}."]}, code="max_value")
    return value


def _cursor_error(message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({"cursor": [ErrorDetail(message, code=code)]})


class Keyset:
    """The sort of a queryset as a keyset: `(field, pk)` in any directions, or the pk alone.
    None when the ordering is anything else (no cursor for it)."""

    def __init__(self, model, field: str | None, descending: bool, pk_descending: bool):
        self.model, self.field = model, field
        self.descending, self.pk_descending = descending, pk_descending

    @classmethod
    def of(cls, queryset) -> "Keyset | None":
        if not isinstance(queryset, QuerySet):
            return None
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        if not ordering or not all(isinstance(item, str) for item in ordering):
            return None
        meta = queryset.model._meta
        names = [item.lstrip("-") for item in ordering]
        if names[-1] not in {"pk", meta.pk.name, meta.pk.attname} or len(names) > 2:
            return None
        pk_descending = ordering[-1].startswith("-")
        if len(names) == 1:
            return cls(queryset.model, None, pk_descending, pk_descending)
        if "__" in names[0]:
            return None
        field = meta.get_field(names[0])
        if field.null:
            return None  # NULLs sort differently per database; no keyset over them
        return cls(queryset.model, field.name, ordering[0].startswith("-"), pk_descending)

    @property
    def name(self) -> str:
        pk = f"{'-' if self.pk_descending else ''}pk"
        if self.field is None:
            return pk
        return f"{'-' if self.descending else ''}{self.field},{pk}"

    def token(self, row) -> str:
        value = getattr(row, self.field) if self.field else None
        if value is not None and not isinstance(value, int | str):
            value = value.isoformat()
        payload = json.dumps([self.name, value, row.pk], separators=(",", ":"))
        return crypto.fernet().encrypt(payload.encode()).decode()

    def after(self, queryset, token: str):
        """`queryset` narrowed to the rows after the cursor `token`, in keyset order."""
        try:
            name, raw, pk = json.loads(crypto.fernet().decrypt(token.encode()))
        except (InvalidToken, ValueError, TypeError):
            raise _cursor_error(
                "cursor is not one this server issued; use meta.next_cursor as it came."
            ) from None
        if name != self.name:
            sort = name.split(",")[0].replace("pk", "id")
            raise _cursor_error(
                f"cursor was made for sort={sort}; send the sort it came with.",
                code="sort_mismatch",
            )
        pk_beyond = "lt" if self.pk_descending else "gt"
        if self.field is None:
            return queryset.filter(**{f"pk__{pk_beyond}": pk})
        field = self.model._meta.get_field(self.field)
        value = field.to_python(raw)
        if self.descending == self.pk_descending:
            # A row comparison: the index on (…, field, id) starts right at the cursor, where
            # `a < x OR (a = x AND id < y)` would scan every tie and filter.
            quote, table = connection.ops.quote_name, self.model._meta.db_table
            pk_column = self.model._meta.pk.column
            columns = f"{quote(table)}.{quote(field.column)}, {quote(table)}.{quote(pk_column)}"
            operator = "<" if self.descending else ">"
            return queryset.extra(  # noqa: S610 (identifiers from the model, values bound)
                where=[f"({columns}) {operator} (%s, %s)"],
                params=[field.get_db_prep_value(value, connection), pk],
            )
        beyond = "lt" if self.descending else "gt"
        return queryset.filter(
            Q(**{f"{self.field}__{beyond}e": value}),
            Q(**{f"{self.field}__{beyond}": value})
            | Q(**{self.field: value, f"pk__{pk_beyond}": pk}),
        )


def bounded_count(queryset) -> tuple[int, bool]:
    """(total, estimated): exact up to EXACT_COUNT_LIMIT matches, the planner's estimate above
    (never below the limit it proved) on PostgreSQL, exact elsewhere."""
    if not isinstance(queryset, QuerySet):
        return queryset.count(), False
    unordered = queryset.order_by()
    if connection.vendor != "postgresql":
        return unordered.count(), False
    counted = unordered[: EXACT_COUNT_LIMIT + 1].count()
    if counted <= EXACT_COUNT_LIMIT:
        return counted, False
    plan = json.loads(unordered.explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return max(estimate, EXACT_COUNT_LIMIT + 1), True


class PagePagination(BasePagination):
    default_per_page = DEFAULT_PER_PAGE
    max_per_page = MAX_PER_PAGE

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        check_query_params(params, ["page", "per_page", "cursor"])
        self.per_page = _positive_int(
            params.get("per_page"), "per_page", self.default_per_page, self.max_per_page
        )
        self.keyset = Keyset.of(queryset) if supports_cursor(view) else None
        self.cursor = params.get("cursor")
        if self.cursor is not None:
            if "page" in params:
                raise ValidationError(
                    {"page": [ErrorDetail("Send page or cursor, not both.", code="conflict")]}
                )
            if self.keyset is None:
                raise _cursor_error(_no_cursor_message(view), code="unsupported")
            rows = list(self.keyset.after(queryset, self.cursor)[: self.per_page + 1])
            self.more = len(rows) > self.per_page
            self.rows = rows[: self.per_page]
            return self.rows
        self.page = _positive_int(params.get("page"), "page", 1, MAX_PAGE)
        self.total, self.estimated = bounded_count(queryset)
        offset = (self.page - 1) * self.per_page
        # One row more says whether a next page exists; a page past the end is empty, not an
        # error (and with an estimated total, rows past "the end" are still served).
        rows = list(queryset[offset : offset + self.per_page + 1])
        self.more = len(rows) > self.per_page
        self.rows = rows[: self.per_page]
        return self.rows

    def get_paginated_response(self, data):
        return Response({"data": data, "meta": self.meta()})

    def next_cursor(self) -> str | None:
        if self.keyset is None or not self.more or not self.rows:
            return None
        return self.keyset.token(self.rows[-1])

    def meta(self) -> dict:
        if self.cursor is not None:
            return {"per_page": self.per_page, "next_cursor": self.next_cursor()}
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "total_estimated": self.estimated,
            "total_pages": math.ceil(self.total / self.per_page) if self.total else 0,
            "next_cursor": self.next_cursor(),
        }

    def get_paginated_response_schema(self, schema):
        next_cursor = {
            "type": ["string", "null"],
            "description": "Pass as `cursor` for the rows after this page (same `sort` and "
            "filters); null at the end of the list, and on lists without cursors.",
        }
        per_page = {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}
        return {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": schema,
                "meta": {
                    "oneOf": [
                        {
                            "title": "PageMeta",
                            "type": "object",
                            "additionalProperties": False,
                            "required": [
                                "page",
                                "per_page",
                                "total",
                                "total_estimated",
                                "total_pages",
                                "next_cursor",
                            ],
                            "properties": {
                                "page": {"type": "integer", "minimum": 1, "example": 1},
                                "per_page": per_page,
                                "total": {
                                    "type": "integer",
                                    "minimum": 0,
                                    "example": 1234,
                                    "description": f"Exact up to {EXACT_COUNT_LIMIT:,} "
                                    "matches; above, PostgreSQL's estimate (see "
                                    "`total_estimated`).",
                                },
                                "total_estimated": {
                                    "type": "boolean",
                                    "description": "True when `total` (and `total_pages`) "
                                    f"is an estimate: more than {EXACT_COUNT_LIMIT:,} matches.",
                                },
                                "total_pages": {"type": "integer", "minimum": 0, "example": 25},
                                "next_cursor": next_cursor,
                            },
                        },
                        {
                            "title": "CursorMeta",
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["per_page", "next_cursor"],
                            "properties": {"per_page": per_page, "next_cursor": next_cursor},
                        },
                    ]
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": f"Page number, from 1 to {MAX_PAGE:,}. A page past the end "
                "returns empty `data`; page deeper with `cursor`.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
            },
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "description": f"Items per page (1 to {MAX_PER_PAGE}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_PER_PAGE,
                    "default": DEFAULT_PER_PAGE,
                },
            },
        ]
        if supports_cursor(view):
            parameters.append(
                {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "description": "`meta.next_cursor` of the previous page: keyset "
                    "pagination for deep sync (constant cost at any depth, no `total`). Not "
                    "with `page`; send the same `sort`. Sorts by a field that can be null "
                    "(" + (", ".join(nullable_sorts(view)) or "none here") + ") have no cursor.",
                    "schema": {"type": "string", "minLength": 1},
                }
            )
        return parameters


def supports_cursor(view) -> bool:
    return bool(getattr(view, "sort_fields", ()))


def nullable_sorts(view) -> list[str]:
    model = getattr(getattr(view, "queryset", None), "model", None) or _view_model(view)
    if model is None:
        return []
    fields = {f.name: f for f in model._meta.get_fields() if hasattr(f, "null")}
    return [f for f in getattr(view, "sort_fields", ()) if f in fields and fields[f].null]


def _view_model(view):
    serializer = getattr(view, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def _no_cursor_message(view) -> str:
    nullable = nullable_sorts(view) if view is not None else []
    if nullable:
        return (
            f"No cursor for a sort by {', '.join(nullable)} (it can be null); sort by another "
            "field, or use page."
        )
    return "This list has no cursor; use page."
