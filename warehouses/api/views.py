from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from vectis.api.views import VectisGenericViewSet, validated
from warehouses import selectors, services
from warehouses.api.serializers import (
    LocationCreateSerializer,
    LocationSerializer,
    LocationUpdateSerializer,
    WarehouseCreateSerializer,
    WarehouseSerializer,
    WarehouseUpdateSerializer,
)
from warehouses.filtersets import LocationFilterSet, WarehouseFilterSet

DUPLICATE_CODE = {409: "`duplicate_code`: the code is taken (or an Idempotency-Key conflict)."}


@extend_schema_view(
    list=extend_schema(summary="List warehouses", tags=["warehouses"]),
    retrieve=extend_schema(summary="Get a warehouse", tags=["warehouses"]),
)
class WarehouseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "warehouses"
    serializer_class = WarehouseSerializer
    filterset_class = WarehouseFilterSet
    sort_fields = ("code", "name", "priority", "created_at", "updated_at")
    default_sort = "-priority"
    schema_errors = DUPLICATE_CODE

    def get_queryset(self):
        return selectors.warehouses_for_account(self.account)

    @extend_schema(
        summary="Create a warehouse",
        description="Also creates its default pickable location (`DEFAULT`).",
        tags=["warehouses"],
        request=WarehouseCreateSerializer,
        responses={201: WarehouseSerializer},
    )
    def create(self, request):
        data = validated(WarehouseCreateSerializer, request.data)
        warehouse = services.warehouse_create(account=self.account, data=data)
        return self.respond(warehouse.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a warehouse",
        description="Only the fields sent change; `address` fields merge into the current one.",
        tags=["warehouses"],
        request=WarehouseUpdateSerializer,
        responses={200: WarehouseSerializer},
    )
    def partial_update(self, request, id=None):
        warehouse = self.get_object()
        data = validated(WarehouseUpdateSerializer, request.data, partial=True)
        services.warehouse_update(warehouse=warehouse, data=data)
        return self.respond(warehouse.pk, status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List a warehouse's locations", tags=["locations"]),
)
class WarehouseLocationViewSet(mixins.ListModelMixin, VectisGenericViewSet):
    """`/v1/warehouses/{warehouse_id}/locations`: the bins of one warehouse."""

    scope_resource = "warehouses"
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet
    sort_fields = ("code", "name", "created_at", "updated_at")
    default_sort = "code"
    schema_errors = DUPLICATE_CODE

    def get_warehouse(self):
        return get_object_or_404(
            selectors.warehouses_for_account(self.account), public_id=self.kwargs["warehouse_id"]
        )

    def get_queryset(self):
        queryset = selectors.locations_for_account(self.account)
        if getattr(self, "swagger_fake_view", False):
            return queryset
        return queryset.filter(warehouse=self.get_warehouse())

    @extend_schema(
        summary="Add a location (bin) to a warehouse",
        tags=["locations"],
        request=LocationCreateSerializer,
        responses={201: LocationSerializer},
    )
    def create(self, request, warehouse_id=None):
        warehouse = self.get_warehouse()
        data = validated(LocationCreateSerializer, request.data)
        location = services.location_create(warehouse=warehouse, data=data)
        return Response(LocationSerializer(location).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List locations across warehouses", tags=["locations"]),
    retrieve=extend_schema(summary="Get a location", tags=["locations"]),
)
class LocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "warehouses"
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet
    sort_fields = ("code", "name", "created_at", "updated_at")
    default_sort = "code"
    schema_errors = DUPLICATE_CODE

    def get_queryset(self):
        return selectors.locations_for_account(self.account)

    @extend_schema(
        summary="Update a location",
        tags=["locations"],
        request=LocationUpdateSerializer,
        responses={200: LocationSerializer},
    )
    def partial_update(self, request, id=None):
        location = self.get_object()
        data = validated(LocationUpdateSerializer, request.data, partial=True)
        services.location_update(location=location, data=data)
        return Response(LocationSerializer(location).data)
