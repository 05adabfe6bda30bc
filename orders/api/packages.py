"""`/v1/packages`: the packages of orders (labels and tracking arrive with the rest of the
packages issue)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from orders import services
from orders.api.serializers import LineRefSerializer
from orders.models import Package
from orders.representation import PackageSerializer, packages_queryset
from vectis.api.filters import CommaListFilter, DateOrDateTimeFilter
from vectis.api.serializers import StrictSerializer
from vectis.api.views import VectisGenericViewSet, validated

TAGS = ["packages"]


class PackageFilterSet(django_filters.FilterSet):
    order = django_filters.CharFilter(field_name="order__public_id", help_text="Order id.")
    warehouse = CommaListFilter(field_name="warehouse__public_id", help_text="Warehouse id(s).")
    status = CommaListFilter(
        field_name="status",
        help_text="pending, shipped, in_transit, delivered, voided, cancelled (comma list).",
    )
    carrier = django_filters.CharFilter(field_name="carrier")
    tracking_number = django_filters.CharFilter(field_name="tracking_number")
    shipped_after = DateOrDateTimeFilter(field_name="shipped_at", lookup_expr="gte")

    class Meta:
        model = Package
        fields = ["order", "warehouse", "status", "carrier", "tracking_number"]


class PackageDimensionsInSerializer(StrictSerializer):
    length = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    width = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    height = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    unit = serializers.ChoiceField(choices=["cm", "in"], default="cm")


class PackageUpdateSerializer(StrictSerializer):
    carrier = serializers.CharField(max_length=64, required=False, allow_blank=True)
    service = serializers.CharField(max_length=64, required=False, allow_blank=True)
    weight = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    weight_unit = serializers.ChoiceField(choices=["g", "kg", "oz", "lb"], required=False)
    dimensions = PackageDimensionsInSerializer(required=False)


class PackageSplitSerializer(StrictSerializer):
    lines = LineRefSerializer(
        many=True, allow_empty=False, max_length=500, help_text="What moves to the new package."
    )


class PackageSplitResultSerializer(serializers.Serializer):
    package = PackageSerializer()
    new_package = PackageSerializer()


@extend_schema_view(
    list=extend_schema(summary="List packages", tags=TAGS),
    retrieve=extend_schema(summary="Get a package", tags=TAGS),
)
class PackageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "packages"
    serializer_class = PackageSerializer
    filterset_class = PackageFilterSet
    sort_fields = ("created_at", "updated_at", "shipped_at")
    default_sort = "-created_at"
    schema_errors = {409: "`package_not_pending`, or an Idempotency-Key conflict."}

    def get_queryset(self):
        return packages_queryset(self.account)

    def _respond(self, pk: int) -> dict:
        return PackageSerializer(self.get_queryset().get(pk=pk)).data

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
        return Response(self._respond(package.pk))

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
        return Response(
            {"package": self._respond(package.pk), "new_package": self._respond(new.pk)}
        )
