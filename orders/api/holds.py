"""`POST /v1/inventory/reserve` and `/release`: holds, and the reservations of an order. Served
by orders (which builds on inventory) because by `order_id` they allocate and deallocate an
order; the inventory app below knows nothing of orders."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from catalog.api.refs import unknown
from inventory import selectors, services
from inventory.api.serializers import ProductRefSerializer
from inventory.api.views import STOCK_ERRORS, TAGS, StockRefs
from inventory.models import Reservation
from inventory.representation import (
    ReservationSerializer,
    StockLevelSerializer,
    levels_data,
    reservations_data,
)
from orders import services as order_services
from orders.models import Order
from orders.representation import OrderSerializer
from orders.selectors import orders_for_account
from vectis.api.serializers import StrictSerializer
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import Conflict
from vectis.serializers import BooleanField, CharField, IntegerField, represent

MAX_HOLD_SECONDS = 30 * 24 * 3600


class ReserveItemSerializer(ProductRefSerializer):
    quantity = IntegerField(min_value=1, max_value=1_000_000)
    warehouse_id = CharField(
        max_length=32, required=False, help_text="Only this warehouse; default: any, by priority."
    )


class ReserveSerializer(StrictSerializer):
    order_id = CharField(
        max_length=32,
        required=False,
        help_text="Reserve this order's open lines (or only the listed `items`).",
    )
    reference = CharField(
        max_length=200,
        required=False,
        help_text="For a hold: what the units are held for (a cart, a quote).",
    )
    items = ReserveItemSerializer(many=True, allow_empty=False, max_length=500, required=False)
    expires_in = IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_HOLD_SECONDS,
        help_text="Seconds until the hold lapses (up to 30 days); default: never.",
    )
    allow_partial = BooleanField(
        default=False,
        help_text="Reserve what is available and report each line's shortfall, instead of "
        "refusing the whole request (409 insufficient_stock). Orders always reserve what "
        "they can; the rest is backordered.",
    )

    one_of = (("reference", "order_id"),)
    example = {
        "reference": "cart-8812",
        "items": [{"sku": "MUG-WHT", "quantity": 2}],
        "expires_in": 900,
    }
    schema_rules = {
        "dependentRequired": {"reference": ["items"]},
        "dependentSchemas": {"order_id": {"not": {"required": ["expires_in"]}}},
    }

    def validate(self, attrs):
        if attrs.get("reference") is not None and not attrs.get("items"):
            raise serializers.ValidationError({"items": ["A hold needs items."]}, code="required")
        if attrs.get("order_id") is not None and attrs.get("expires_in") is not None:
            raise serializers.ValidationError(
                {"expires_in": ["Order reservations do not expire; cancel the order instead."]},
                code="invalid",
            )
        return attrs


class ReleaseSerializer(StrictSerializer):
    reservation_id = CharField(max_length=32, required=False)
    reference = CharField(
        max_length=200, required=False, help_text="Every active hold with this reference."
    )
    order_id = CharField(
        max_length=32, required=False, help_text="Everything the order has reserved."
    )

    one_of = (("reservation_id", "reference", "order_id"),)
    example = {"reference": "cart-8812"}


class ShortfallSerializer(serializers.Serializer):
    index = IntegerField(help_text="Position in `items`.")
    sku = CharField()
    requested = IntegerField()
    reserved = IntegerField()
    shortfall = IntegerField()


class ReserveResultSerializer(serializers.Serializer):
    reference = CharField(help_text="The hold's reference, or the order id.")
    order = OrderSerializer(required=False, help_text="With `order_id`: the order after it.")
    reservations = ReservationSerializer(many=True)
    shortfalls = ShortfallSerializer(many=True)
    levels = StockLevelSerializer(many=True)


class ReleaseResultSerializer(serializers.Serializer):
    released = ReservationSerializer(many=True, help_text="Empty when nothing was active.")
    levels = StockLevelSerializer(many=True)


class HoldViewSet(VectisGenericViewSet):
    """Holds and an order's reservations (the paths are inventory's; see the module doc)."""

    scope_resource = "inventory"
    schema_errors = STOCK_ERRORS
    filter_backends: list = []

    def get_queryset(self):  # actions only, each with its own lookups
        return Reservation.objects.none()

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
        order = orders_for_account(self.account).filter(public_id=public_id).first()
        if order is None:
            raise unknown("order_id", public_id, "order_id")
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
        fresh = orders_for_account(self.account).get(pk=order.pk)
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
                raise unknown("reservation_id", data["reservation_id"], "reservation_id")
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
