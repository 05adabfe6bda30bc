from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.models import Product
from inventory import selectors, services
from inventory.api.serializers import (
    AdjustSerializer,
    InventoryQuerySerializer,
    InventoryRowSerializer,
    ReleaseResultSerializer,
    ReleaseSerializer,
    ReserveResultSerializer,
    ReserveSerializer,
    StockChangeSerializer,
    ThresholdOutSerializer,
    ThresholdSerializer,
    TransferSerializer,
)
from inventory.filtersets import MovementFilterSet, ReservationFilterSet
from inventory.models import LowStockRule, Reservation
from inventory.representation import (
    MovementSerializer,
    ReservationSerializer,
    levels_data,
    movements_data,
    reservations_data,
)
from orders import services as order_services
from orders.models import Order
from orders.representation import OrderSerializer, orders_queryset
from vectis.api.filters import check_query_params
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import Conflict, ValidationFailed
from vectis.serializers import represent
from warehouses.models import Location, Warehouse

TAGS = ["inventory"]
STOCK_ERRORS = {
    409: "`insufficient_stock`, `stale_quantity`, `conflict_retry` (retry the request), or an "
    "Idempotency-Key conflict.",
}


def _unknown(what: str, value: str, field: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid {what}: {value} not found", field=field)


class StockRefs:
    """Turns the public ids and SKUs of a request body into the account's rows (400 if unknown)."""

    def __init__(self, account):
        self.account = account
        self._by_sku: dict[str, Product] = {}
        self._by_id: dict[str, Product] = {}

    def product(self, data: dict, prefix: str = "") -> Product:
        if data.get("sku") is not None:
            known = self._by_sku.get(data["sku"])
        else:
            known = self._by_id.get(data.get("product_id"))
        if known is not None:
            return known
        if data.get("sku") is not None:
            product = Product.objects.filter(account=self.account, sku=data["sku"]).first()
            if product is None:
                raise _unknown("SKU", data["sku"], f"{prefix}sku")
            return product
        product = Product.objects.filter(account=self.account, public_id=data["product_id"]).first()
        if product is None:
            raise _unknown("product_id", data["product_id"], f"{prefix}product_id")
        return product

    def prefetch_products(self, items: list[dict]) -> None:
        """Load the products the items name (by `sku` or `product_id`) in one query, for
        `product` to answer from; unknown ones are still its 400, in item order."""
        skus = {item["sku"] for item in items if item.get("sku") is not None}
        ids = {item["product_id"] for item in items if item.get("sku") is None}
        for product in Product.objects.filter(account=self.account).filter(
            Q(sku__in=skus) | Q(public_id__in=ids)
        ):
            self._by_sku[product.sku] = self._by_id[product.public_id] = product

    def warehouse(self, public_id: str, field: str) -> Warehouse:
        warehouse = Warehouse.objects.filter(account=self.account, public_id=public_id).first()
        if warehouse is None:
            raise _unknown("warehouse_id", public_id, field)
        return warehouse

    def location(self, warehouse: Warehouse, public_id: str | None, field: str) -> Location:
        if public_id is None:
            location = Location.objects.get(warehouse=warehouse, is_default=True)
        else:
            location = Location.objects.filter(account=self.account, public_id=public_id).first()
            if location is None:
                raise _unknown("location_id", public_id, field)
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

    def get_queryset(self):  # the list is built by selectors.InventoryQuery
        return LowStockRule.objects.none()

    @property
    def actor(self) -> str:
        return str(self.request.user)

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
        filters = selectors.InventoryFilters(
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
        page = self.paginate_queryset(selectors.InventoryQuery(self.account.pk, filters))
        return self.get_paginated_response(InventoryRowSerializer(page, many=True).data)

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

    @extend_schema(
        summary="Reserve stock for an order or a hold",
        description="With `order_id`: allocates the order's open lines (or the listed `items`) "
        "as POST /v1/orders/{id}/allocate does; what cannot be covered is backordered and "
        "reported in `shortfalls`. With `reference` + `items`: a hold (a cart, a quote), "
        "optionally for `expires_in` seconds; each item comes from one warehouse if any can "
        "cover it (highest priority first), else split by priority; kits reserve their "
        "components together; all or nothing (409 `insufficient_stock` with `shortfalls`) "
        "unless `allow_partial`.",
        tags=TAGS,
        request=ReserveSerializer,
        responses={200: ReserveResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def reserve(self, request):
        data = validated(ReserveSerializer, request.data)
        if data.get("order_id"):
            return self._reserve_order(data)
        refs = StockRefs(self.account)
        refs.prefetch_products(data["items"])
        lines = []
        for index, item in enumerate(data["items"]):
            where = f"items[{index}]."
            warehouse = (
                refs.warehouse(item["warehouse_id"], f"{where}warehouse_id")
                if item.get("warehouse_id")
                else None
            )
            lines.append(
                services.ReserveLine(refs.product(item, where), item["quantity"], warehouse)
            )
        expires_at = (
            timezone.now() + timedelta(seconds=data["expires_in"])
            if data.get("expires_in")
            else None
        )
        result = services.reserve(
            account_id=self.account.pk,
            lines=lines,
            reference=data["reference"],
            expires_at=expires_at,
            allow_partial=data["allow_partial"],
            actor=self.actor,
        )
        return self._reserve_response(data["reference"], result)

    def _order(self, public_id: str) -> Order:
        order = orders_queryset(self.account).filter(public_id=public_id).first()
        if order is None:
            raise _unknown("order_id", public_id, "order_id")
        return order

    def _reserve_order(self, data: dict) -> Response:
        order = self._order(data["order_id"])
        refs = StockRefs(self.account)
        items = None
        if data.get("items"):
            refs.prefetch_products(data["items"])
            items = []
            for index, item in enumerate(data["items"]):
                where = f"items[{index}]."
                product = refs.product(item, where)
                items.append(
                    {
                        "sku": product.sku,
                        "quantity": item["quantity"],
                        "warehouse": refs.warehouse(item["warehouse_id"], f"{where}warehouse_id")
                        if item.get("warehouse_id")
                        else None,
                    }
                )
        allocation = order_services.order_allocate(order=order, items=items, actor=self.actor)
        result = allocation.reserve or services.ReserveResult([], [])
        fresh = orders_queryset(self.account).get(pk=order.pk)
        extra = {"order": represent(OrderSerializer, fresh)}
        return self._reserve_response(order.public_id, result, extra)

    def _reserve_response(self, reference, result, extra: dict | None = None) -> Response:
        reservations = list(
            selectors.reservations_for_account(self.account)
            .filter(pk__in=[r.pk for r in result.reservations])
            .order_by("pk")
        )
        return Response(
            {
                **(extra or {}),
                "reference": reference,
                "reservations": reservations_data(reservations),
                "shortfalls": [
                    {
                        "index": line.index,
                        "sku": line.product.sku,
                        "requested": line.requested,
                        "reserved": line.reserved,
                        "shortfall": line.shortfall,
                    }
                    for line in result.shortfalls
                ],
                "levels": levels_data(result.level_ids),
            }
        )

    @extend_schema(
        summary="Release reservations",
        description="By `reservation_id`, every active hold with a `reference`, or everything "
        "an `order_id` has reserved (the order returns to pending). Releasing what is already "
        "released (or expired, or consumed) is a no-op, not an error.",
        tags=TAGS,
        request=ReleaseSerializer,
        responses={200: ReleaseResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def release(self, request):
        data = validated(ReleaseSerializer, request.data)
        if data.get("order_id"):
            order = self._order(data["order_id"])
            result = order_services.order_deallocate(order=order, actor=self.actor)
        elif data.get("reservation_id"):
            reservation = Reservation.objects.filter(
                account=self.account, public_id=data["reservation_id"]
            ).first()
            if reservation is None:
                raise _unknown("reservation_id", data["reservation_id"], "reservation_id")
            if reservation.order_line_id is not None:
                raise Conflict(
                    "This reservation belongs to an order; release it with order_id (or "
                    "cancel the order's line).",
                    field="reservation_id",
                    code="reserved_for_order",
                )
            result = services.release(account_id=self.account.pk, reservation_ids=[reservation.pk])
        else:
            result = services.release(account_id=self.account.pk, reference=data["reference"])
        released = reservations_data(result.released)
        return Response({"released": released, "levels": levels_data(result.level_ids)})


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
