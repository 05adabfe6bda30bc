"""`?page=&per_page=` pagination answering `{"data": [...], "meta": {...}}`."""

import math

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from vectis.api.filters import check_query_params

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100


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


class PagePagination(BasePagination):
    default_per_page = DEFAULT_PER_PAGE
    max_per_page = MAX_PER_PAGE

    def paginate_queryset(self, queryset, request, view=None):
        check_query_params(request.query_params, ["page", "per_page"])
        self.page = _positive_int(request.query_params.get("page"), "page", 1)
        self.per_page = _positive_int(
            request.query_params.get("per_page"),
            "per_page",
            self.default_per_page,
            self.max_per_page,
        )
        self.total = queryset.count()
        offset = (self.page - 1) * self.per_page
        # A page past the end is an empty page, not an error.
        return list(queryset[offset : offset + self.per_page]) if offset < self.total else []

    def get_paginated_response(self, data):
        return Response({"data": data, "meta": self.meta()})

    def meta(self) -> dict:
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "total_pages": math.ceil(self.total / self.per_page) if self.total else 0,
        }

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "meta"],
            "properties": {
                "data": schema,
                "meta": {
                    "type": "object",
                    "required": ["page", "per_page", "total", "total_pages"],
                    "properties": {
                        "page": {"type": "integer", "minimum": 1, "example": 1},
                        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                        "total": {"type": "integer", "minimum": 0, "example": 1234},
                        "total_pages": {"type": "integer", "minimum": 0, "example": 25},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number, from 1. A page past the end returns empty `data`.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
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
