from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.api.refs import ProductRefs, unknown
from inventory import listing, selectors, services
from inventory import snapshot as inventory_snapshot
from inventory.api import bulk
from inventory.api.serializers import (
    AdjustBulkSerializer,
    AdjustSerializer,
    CountBulkSerializer,
    InventoryQuerySerializer,
    InventoryRowSerializer,
    SnapshotQuerySerializer,
    SnapshotSerializer,
    StockBulkResultSerializer,
    StockChangeSerializer,
    ThresholdOutSerializer,
    ThresholdSerializer,
    TransferSerializer,
)
from inventory.filtersets import MovementFilterSet, ReservationFilterSet
from inventory.models import LowStockRule
from inventory.representation import (
    MovementSerializer,
    ReservationSerializer,
    levels_data,
    movements_data,
)
from inventory.services.bulk import stock_bulk
from vectis.api.filters import ATOMIC, bool_param, check_query_params
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import ValidationFailed
from warehouses.models import Location, Warehouse

TAGS = ["inventory"]

STOCK_ERRORS = {
    409: "`insufficient_stock`, `stale_quantity`, `conflict_retry` (retry the request), or an "
    "Idempotency-Key conflict.",
}


class StockRefs(ProductRefs):
    """Turns the public ids and SKUs of a request body into the account's rows (400 if unknown)."""

    def warehouse(self, public_id: str, field: str) -> Warehouse:
        warehouse = Warehouse.objects.filter(account=self.account, public_id=public_id).first()
        if warehouse is None:
            raise unknown("warehouse_id", public_id, field)
        return warehouse

    def location(self, warehouse: Warehouse, public_id: str | None, field: str) -> Location:
        if public_id is None:
            location = Location.objects.get(warehouse=warehouse, is_default=True)
        else:
            location = Location.objects.filter(account=self.account, public_id=public_id).first()
            if location is None:
                raise unknown("location_id", public_id, field)
            if location.warehouse_id != warehouse.pk:
                raise ValidationFailed(
                    f"Location {public_id} is not in warehouse {warehouse.public_id}.",
                    field=field,
                    code="location_not_in_warehouse",
                )
        location.warehouse = warehouse  # known: saves the query that would read it again
        return location


def _change_response(change: services.StockChange) -> Response:
    return Response(
        {
            "movements": movements_data(change.movements),
            "levels": change.levels if change.levels is not None else levels_data(change.level_ids),
        }
    )


class InventoryViewSet(VectisGenericViewSet):
    """`/v1/inventory`: stock per (product, warehouse) and the operations that move it."""

    scope_resource = "inventory"
    serializer_class = InventoryRowSerializer
    schema_errors = STOCK_ERRORS
    filter_backends: list = []

    def get_queryset(self):  # the list is built by listing.InventoryQuery
        return LowStockRule.objects.none()

    @extend_schema(
        summary="List stock per product and warehouse",
        description="One row per (product, warehouse) with per-location detail. `available` "
        "counts pickable, active bins and ignores holds past their expiry. Kits have computed "
        "rows: min over components of floor(component units / units per kit).",
        tags=TAGS,
        parameters=[InventoryQuerySerializer],
        responses={200: InventoryRowSerializer(many=True)},
    )
    def list(self, request):
        check_query_params(request.query_params, InventoryQuerySerializer().fields)
        query = validated(InventoryQuerySerializer, request.query_params)
        filters = listing.InventoryFilters(
            available_lte=query.get("available_lte"),
            below_threshold=query.get("below_threshold"),
            updated_after=query.get("updated_after"),
            sort=query["sort"],
        )
        if "warehouse" in query:
            filters.warehouse_ids = list(
                Warehouse.objects.filter(
                    account=self.account, public_id__in=query["warehouse"]
                ).values_list("pk", flat=True)
            )
        if "product" in query or "sku" in query:
            filters.product_ids = selectors.product_ids_for(
                self.account,
                public_ids=query.get("product"),
                skus=query.get("sku"),
            )
        if "location" in query:
            location = Location.objects.filter(
                account=self.account, public_id=query["location"]
            ).first()
            filters.location_id = location.pk if location else -1
        page = self.paginate_queryset(listing.InventoryQuery(self.account.pk, filters))
        return self.get_paginated_response(InventoryRowSerializer(page, many=True).data)

    @extend_schema(
        summary="Snapshot all stock at one moment (reconciliation)",
        description="Every row of `GET /v1/inventory` (without bins) read at one consistent "
        "moment, unpaged, with the newest movement it includes and a `sync_token`: rebuild "
        "a channel's copy from the rows, then follow `GET /v1/events/sync?token=…` "
        "(`type=inventory.available_changed`) from the token; no change is missed or "
        "received twice.",
        tags=TAGS,
        parameters=[SnapshotQuerySerializer],
        responses={200: SnapshotSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def snapshot(self, request):
        check_query_params(request.query_params, SnapshotQuerySerializer().fields)
        query = validated(SnapshotQuerySerializer, request.query_params)
        warehouse_ids = None
        if "warehouse" in query:
            warehouse_ids = list(
                Warehouse.objects.filter(
                    account=self.account, public_id__in=query["warehouse"]
                ).values_list("pk", flat=True)
            )
        taken = inventory_snapshot.take(self.account.pk, warehouse_ids)
        meta = {
            "as_of": taken.as_of,
            "rows": len(taken.rows),
            "last_movement_id": taken.last_movement_id,
            "sync_token": taken.position.token(),
        }
        return Response(SnapshotSerializer({"data": taken.rows, "meta": meta}).data)

    @extend_schema(
        summary="Adjust stock at a location",
        description="A signed `quantity`, or `set_on_hand` after a count; `expected_on_hand` "
        "makes it compare-and-set. Writes one movement; emits `inventory.adjusted`. "
        "on_hand can never fall below reserved (409 `insufficient_stock`).",
        tags=TAGS,
        request=AdjustSerializer,
        responses={200: StockChangeSerializer},
    )
    @action(detail=False, methods=["post"])
    def adjust(self, request):
        data = validated(AdjustSerializer, request.data)
        refs = StockRefs(self.account)
        product = refs.product(data)
        warehouse = refs.warehouse(data["warehouse_id"], "warehouse_id")
        location = refs.location(warehouse, data.get("location_id"), "location_id")
        change = services.adjust(
            product=product,
            location=location,
            reason=data["reason"],
            quantity=data.get("quantity"),
            set_on_hand=data.get("set_on_hand"),
            expected_on_hand=data.get("expected_on_hand"),
            note=data["note"],
            reference=data["reference"],
            actor=self.actor,
        )
        return _change_response(change)

    @extend_schema(
        summary="Adjust up to 1,000 stock levels at once",
        description="Signed `quantity` deltas with reasons, applied in row order in one "
        "transaction (each level locked once, in a fixed order: concurrent bulk calls never "
        "deadlock); one movement per row. Results come per row: `applied`, or `error` with "
        "the row's `field` (unknown SKU, a kit, on_hand below reserved), the other rows still "
        "applied; with `atomic=true` any error writes nothing (409 `bulk_rejected`, each row "
        "in `details` as `adjustments[i].field`). Counts once against the rate limit.",
        tags=TAGS,
        parameters=[ATOMIC],
        request=AdjustBulkSerializer,
        responses={200: StockBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="adjust/bulk")
    def adjust_bulk(self, request):
        return self._bulk(request, AdjustBulkSerializer, "adjustments")

    @extend_schema(
        summary="Set the on_hand of up to 1,000 stock levels at once (counts)",
        description="Absolute `on_hand` per row, with an optional compare-and-set: a row "
        "whose `expected_on_hand` is not the current on_hand is `stale` (not applied; "
        "`on_hand` says what it is) and the others are applied. A row that changes nothing "
        "is `unchanged` (no movement). Otherwise as `adjust/bulk`; with `atomic=true` a stale "
        "row also writes nothing.",
        tags=TAGS,
        parameters=[ATOMIC],
        request=CountBulkSerializer,
        responses={200: StockBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="set/bulk")
    def set_bulk(self, request):
        return self._bulk(request, CountBulkSerializer, "counts")

    def _bulk(self, request, serializer, collection: str) -> Response:
        atomic = bool_param(request, "atomic")
        items = validated(serializer, request.data)[collection]
        rows, failed = bulk.rows_from(self.account, items)
        results = stock_bulk(
            rows=rows, failed=failed, atomic=atomic, collection=collection, actor=self.actor
        )
        return Response(bulk.result_data(results, items))

    @extend_schema(
        summary="Transfer stock between locations",
        description="Moves available (unreserved) units, within or across warehouses. Writes "
        "two `transfer` movements sharing one `trf_…` reference.",
        tags=TAGS,
        request=TransferSerializer,
        responses={200: StockChangeSerializer},
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request):
        data = validated(TransferSerializer, request.data)
        refs = StockRefs(self.account)
        product = refs.product(data)
        source, target = (
            refs.location(
                refs.warehouse(data[f"{side}_warehouse_id"], f"{side}_warehouse_id"),
                data.get(f"{side}_location_id"),
                f"{side}_location_id",
            )
            for side in ("from", "to")
        )
        change = services.transfer(
            product=product,
            from_location=source,
            to_location=target,
            quantity=data["quantity"],
            note=data["note"],
            actor=self.actor,
        )
        return _change_response(change)


@extend_schema_view(
    list=extend_schema(summary="List stock movements (the ledger)", tags=TAGS),
    retrieve=extend_schema(summary="Get a stock movement", tags=TAGS),
)
class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "inventory"
    serializer_class = MovementSerializer
    filterset_class = MovementFilterSet
    sort_fields = ("created_at",)
    default_sort = "-created_at"

    def get_queryset(self):
        return selectors.movements_for_account(self.account)


@extend_schema_view(
    list=extend_schema(summary="List reservations", tags=TAGS),
    retrieve=extend_schema(summary="Get a reservation", tags=TAGS),
)
class ReservationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "inventory"
    serializer_class = ReservationSerializer
    filterset_class = ReservationFilterSet
    sort_fields = ("created_at", "expires_at")
    default_sort = "-created_at"

    def get_queryset(self):
        return selectors.reservations_for_account(self.account)


@extend_schema_view(
    list=extend_schema(
        summary="List per-warehouse low-stock thresholds",
        description="Only overrides; a product's own threshold is `low_stock_threshold` on it.",
        tags=TAGS,
    ),
)
class ThresholdViewSet(mixins.ListModelMixin, VectisGenericViewSet):
    scope_resource = "inventory"
    serializer_class = ThresholdOutSerializer
    sort_fields = ("updated_at",)
    default_sort = "-updated_at"

    def get_queryset(self):
        return selectors.thresholds_for_account(self.account)

    @extend_schema(
        summary="Set or clear a product's low-stock threshold in one warehouse",
        description="Overrides the product's `low_stock_threshold` there; null clears the "
        "override. The alert state is re-evaluated at once.",
        tags=TAGS,
        request=ThresholdSerializer,
        responses={200: ThresholdOutSerializer},
    )
    def create(self, request):
        data = validated(ThresholdSerializer, request.data)
        refs = StockRefs(self.account)
        rule = services.set_threshold(
            product=refs.product(data),
            warehouse=refs.warehouse(data["warehouse_id"], "warehouse_id"),
            threshold=data["low_stock_threshold"],
        )
        rule.refresh_from_db()
        return Response(ThresholdOutSerializer(rule).data)
