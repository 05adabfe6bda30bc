"""`/v1/packages`: the packages of orders (labels and tracking arrive with the rest of the
packages issue)."""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orders import labels, services
from orders.api.serializers import LineRefSerializer
from orders.models import Package, TrackingEvent
from orders.representation import PackageSerializer
from orders.selectors import packages_for_account
from vectis.api.filters import CommaListFilter, DateOrDateTimeFilter, check_query_params
from vectis.api.serializers import StrictSerializer, TrackingNumberField
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import ValidationFailed
from vectis.serializers import CharField, DateTimeField, DecimalField

TAGS = ["packages"]


class PackageFilterSet(django_filters.FilterSet):
    order = django_filters.CharFilter(field_name="order__public_id", help_text="Order id.")
    warehouse = CommaListFilter(field_name="warehouse__public_id", help_text="Warehouse id(s).")
    status = CommaListFilter(field_name="status", help_text="One status or a comma list.")
    carrier = django_filters.CharFilter(field_name="carrier")
    tracking_number = django_filters.CharFilter(field_name="tracking_number")
    shipped_after = DateOrDateTimeFilter(field_name="shipped_at", lookup_expr="gte")

    class Meta:
        model = Package
        fields = ["order", "warehouse", "status", "carrier", "tracking_number"]


class PackageDimensionsInSerializer(StrictSerializer):
    length = DecimalField(max_digits=10, decimal_places=2, min_value=0)
    width = DecimalField(max_digits=10, decimal_places=2, min_value=0)
    height = DecimalField(max_digits=10, decimal_places=2, min_value=0)
    unit = serializers.ChoiceField(choices=["cm", "in"], default="cm")


class PackageUpdateSerializer(StrictSerializer):
    resource = PackageSerializer
    carrier = CharField(max_length=64, required=False, allow_blank=True)
    service = CharField(max_length=64, required=False, allow_blank=True)
    weight = DecimalField(
        max_digits=12, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    weight_unit = serializers.ChoiceField(choices=["g", "kg", "oz", "lb"], required=False)
    dimensions = PackageDimensionsInSerializer(required=False)

    example = {
        "weight": "1.250",
        "weight_unit": "kg",
        "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"},
    }


class PackageSplitSerializer(StrictSerializer):
    lines = LineRefSerializer(
        many=True, allow_empty=False, max_length=500, help_text="What moves to the new package."
    )

    example = {"lines": [{"sku": "TEE-BLK-M", "quantity": 1}]}


class PackageShipSerializer(StrictSerializer):
    carrier = CharField(
        max_length=64,
        required=False,
        help_text="An adapter (`local`: Vectis issues the tracking number and draws the label; "
        "`manual`: you bring the tracking number), or any carrier name with your "
        "`tracking_number`. Default: the package's carrier, else VECTIS_DEFAULT_CARRIER.",
    )
    service = CharField(max_length=64, required=False, allow_blank=True)
    tracking_number = TrackingNumberField(required=False)
    weight = DecimalField(max_digits=12, decimal_places=3, min_value=0, required=False)
    weight_unit = serializers.ChoiceField(choices=["g", "kg", "oz", "lb"], required=False)
    dimensions = PackageDimensionsInSerializer(required=False)

    example = {"carrier": "local", "weight": "1.250", "weight_unit": "kg"}


class TrackingInSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=TrackingEvent.STATUSES)
    occurred_at = DateTimeField()
    location = CharField(max_length=200, required=False, allow_blank=True, default="")
    description = CharField(max_length=500, required=False, allow_blank=True, default="")

    example = {
        "status": "in_transit",
        "occurred_at": "2026-12-01T14:30:00Z",
        "location": "Phoenix, AZ",
        "description": "Departed facility",
    }


class PackageSplitResultSerializer(serializers.Serializer):
    package = PackageSerializer()
    new_package = PackageSerializer()


@extend_schema_view(
    list=extend_schema(summary="List packages", tags=TAGS),
    retrieve=extend_schema(summary="Get a package", tags=TAGS),
)
class PackageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "packages"
    document_actions = ("label",)
    serializer_class = PackageSerializer
    filterset_class = PackageFilterSet
    sort_fields = ("created_at", "updated_at", "shipped_at")
    default_sort = "-created_at"
    schema_errors = {
        409: "`package_not_pending`, `package_not_shipped`, `invalid_status_transition`, or an "
        "Idempotency-Key conflict.",
        404: "`not_found`, or `label_not_found` for a label.",
    }

    def get_queryset(self):
        return packages_for_account(self.account)

    @extend_schema(
        summary="Set a pending package's weight, dimensions, carrier and service",
        tags=TAGS,
        request=PackageUpdateSerializer,
        responses={200: PackageSerializer},
    )
    def partial_update(self, request, id=None):
        package = self.get_object()
        data = validated(PackageUpdateSerializer, request.data)
        services.package_update(package=package, data=data)
        return self.respond(package.pk)

    @extend_schema(
        summary="Split a pending package",
        description="Moves the listed units (`line_id` or `sku`, `quantity`) into a new pending "
        "package of the same warehouse (`package.created`); at least one unit stays behind.",
        tags=TAGS,
        request=PackageSplitSerializer,
        responses={200: PackageSplitResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def split(self, request, id=None):
        package = self.get_object()
        data = validated(PackageSplitSerializer, request.data)
        new = services.package_split(package=package, lines=data["lines"])
        return Response({"package": self.shown(package.pk), "new_package": self.shown(new.pk)})

    @extend_schema(
        summary="Ship a package with a label",
        description="The carrier adapter issues the label and tracking number; the package's "
        "reservations are consumed (`shipped` movements), the order becomes `partially_shipped` "
        "or `shipped`. Emits `package.shipped` (and `order.shipped` when the order is "
        "complete). A package that is not pending: 409 `package_not_pending`.",
        tags=TAGS,
        request=PackageShipSerializer,
        responses={200: PackageSerializer},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, id=None):
        package = self.get_object()
        data = validated(PackageShipSerializer, request.data or {})
        services.package_ship(package=package, actor=str(request.user), **data)
        return self.respond(package.pk)

    @extend_schema(
        summary="Download the shipping label",
        description="A 4x6 inch label: `pdf` (default), `zpl` (ZPL II for thermal printers) or "
        "`png` (203 dpi). 404 `label_not_found` before the package ships, after its label was "
        "voided, or when the carrier issued no label (manual).",
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                enum=["pdf", "zpl", "png"],
                description="Default pdf.",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/plain"): OpenApiTypes.STR,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def label(self, request, id=None):
        package = self.get_object()
        check_query_params(request.query_params, ["format"])
        fmt = request.query_params.get("format", "pdf")
        if fmt not in ("pdf", "zpl", "png"):
            raise ValidationFailed("format is one of pdf, zpl, png.", field="format")
        document = labels.label_document(package, fmt)
        response = HttpResponse(document.body, content_type=document.content_type)
        response["Content-Disposition"] = f'inline; filename="{document.filename}"'
        return response

    @extend_schema(
        summary="Void a package's label",
        description="Before pickup only (a shipped package, not yet in transit): the carrier "
        "voids the label, the units return on hand and reserved for the order (`ship_voided` "
        "movements) and the package is pending again, ready to ship anew. Otherwise 409 "
        "`package_not_shipped`.",
        tags=TAGS,
        request=None,
        responses={200: PackageSerializer},
    )
    @action(detail=True, methods=["post"])
    def void(self, request, id=None):
        package = self.get_object()
        services.package_void(package=package, actor=str(request.user))
        return self.respond(package.pk)

    @extend_schema(
        summary="Add a tracking event",
        description="A carrier scan: `in_transit`/`out_for_delivery` move the package in "
        "transit; `delivered` delivers it (`package.delivered`) and, when every package of the "
        "order is delivered, the order (`order.delivered`); `exception` is recorded.",
        tags=TAGS,
        request=TrackingInSerializer,
        responses={200: PackageSerializer},
    )
    @action(detail=True, methods=["post"])
    def tracking(self, request, id=None):
        package = self.get_object()
        data = validated(TrackingInSerializer, request.data)
        services.package_track(package=package, actor=str(request.user), **data)
        return self.respond(package.pk)
