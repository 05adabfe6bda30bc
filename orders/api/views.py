from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions as drf_exceptions
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from orders import labels, services
from orders.api.serializers import (
    BulkOrdersResponseSerializer,
    CancelBulkResponseSerializer,
    CancelBulkSerializer,
    CancelSerializer,
    HoldSerializer,
    OrderBulkSerializer,
    OrderCreateSerializer,
    OrderEventSerializer,
    OrderSerializer,
    OrderStatusSerializer,
    OrderUpdateSerializer,
    ShipSerializer,
)
from orders.filtersets import OrderFilterSet
from orders.models import Order, Package
from orders.selectors import orders_for_account
from vectis.api.errors import flatten_errors
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import DomainError
from vectis.serializers import represent

TAGS = ["orders"]


def _failed(index: int, external_id, code: str, error: dict) -> dict:
    return {
        "index": index,
        "external_id": external_id,
        "status": "error",
        "error": {"code": code, "message": error["message"], "field": error["field"]},
    }


@extend_schema_view(
    list=extend_schema(summary="List orders", tags=TAGS),
    retrieve=extend_schema(summary="Get an order", tags=TAGS),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "orders"
    document_actions = ("packing_slip",)
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    sort_fields = ("created_at", "updated_at", "priority")
    default_sort = "-created_at"
    schema_errors = {
        409: "`duplicate_order` (with the existing `order_id`), `invalid_status_transition`, "
        "`order_on_hold`, `conflict_retry`, or an Idempotency-Key conflict."
    }

    def get_queryset(self):
        return orders_for_account(self.account)

    @extend_schema(
        summary="Create an order",
        description="Lines resolve `sku` by product SKU, then by the channel's alias. Answers "
        "`pending`; with the account's auto-allocate on, allocation follows in the background "
        "(`order.allocated` or `order.backordered`).",
        tags=TAGS,
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
    )
    def create(self, request):
        data = validated(OrderCreateSerializer, request.data)
        order = services.order_create(account=self.account, data=data, actor=self.actor)
        return Response(order.representation, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Allocate an order",
        description="Reserves stock for every open line: the whole order from one warehouse if "
        "any can fill it (highest priority first), else line by line by priority. Lines that "
        "cannot be covered are backordered. A fully allocated order comes back unchanged.",
        tags=TAGS,
        request=None,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request, id=None):
        order = self.get_object()
        services.order_allocate(order=order, actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="Release everything an order has reserved",
        tags=TAGS,
        request=None,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def deallocate(self, request, id=None):
        order = self.get_object()
        services.order_deallocate(order=order, actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="Update an order",
        description="`ship_to` fields merge. `notes`, `tags`, `metadata`, `shipping_method`, "
        "`sub_status`, `priority` change until the order is fully shipped; `items` only while "
        "it is pending or backordered; a change the order's state no longer allows is 409 "
        "`field_locked` naming the field. A read-only field (`channel`, `status`, `totals`, …) "
        "is 400 `validation_error` with detail code `read_only`, as on every resource.",
        tags=TAGS,
        request=OrderUpdateSerializer,
        responses={200: OrderSerializer},
    )
    def partial_update(self, request, id=None):
        order = self.get_object()
        data = validated(OrderUpdateSerializer, request.data, partial=True)
        services.order_update(order=order, data=data, actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="An order's status (cheap, for polling)",
        tags=TAGS,
        responses={200: OrderStatusSerializer},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def status(self, request, id=None):
        order = get_object_or_404(Order.objects.filter(account=self.account), public_id=id)
        return Response(OrderStatusSerializer(order).data)

    @extend_schema(
        summary="Get an order by channel and external id",
        tags=TAGS,
        parameters=[
            OpenApiParameter("channel", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH),
        ],
        responses={200: OrderSerializer},
    )
    @action(
        detail=False,
        methods=["get"],
        # the channel is one path segment; the external id is the rest (it may hold "/")
        url_path=r"by_external_id/(?P<channel>[^/]+)/(?P<external_id>.+)",
        filterset_class=None,
    )
    def by_external_id(self, request, channel=None, external_id=None):
        order = get_object_or_404(self.get_queryset(), channel=channel, external_id=external_id)
        return Response(represent(OrderSerializer, order))

    @extend_schema(
        summary="Put an order on hold",
        description="From any unshipped status; reservations stay. Emits `order.held`.",
        tags=TAGS,
        request=HoldSerializer,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def hold(self, request, id=None):
        order = self.get_object()
        data = validated(HoldSerializer, request.data)
        services.order_hold(order=order, reason=data["reason"], actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="Release an order's hold",
        description="Back to the status its lines call for; a pending order is then allocated "
        "(with auto-allocate).",
        tags=TAGS,
        request=None,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def release_hold(self, request, id=None):
        order = self.get_object()
        services.order_release_hold(order=order, actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="Cancel an order or some of its units",
        description="Without `items`, everything not yet shipped; with `items` (`line_id` or "
        "`sku`, `quantity`), only those units. Reservations are released in the same "
        "transaction. A cancelled order: 409 `already_cancelled`.",
        tags=TAGS,
        request=CancelSerializer,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        order = self.get_object()
        data = validated(CancelSerializer, request.data)
        services.order_cancel(
            order=order, reason=data["reason"], items=data.get("items"), actor=self.actor
        )
        return self.respond(order.pk)

    @extend_schema(
        summary="Ship allocated units",
        description="Consumes reservations (`shipped` movements) and records packages: those "
        "given, or with no body one per warehouse with everything allocated there. The order "
        "becomes `partially_shipped` or `shipped` (`order.shipped`).",
        tags=TAGS,
        request=ShipSerializer,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, id=None):
        order = self.get_object()
        data = validated(ShipSerializer, request.data or {})
        services.order_ship(order=order, packages=data.get("packages"), actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="The order's packing slip (PDF)",
        description="The order and, per package, its lines (cancelled packages left out).",
        tags=TAGS,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def packing_slip(self, request, id=None):
        order = self.get_object()
        packages = list(
            order.packages.exclude(status=Package.CANCELLED).select_related("warehouse")
        )
        response = HttpResponse(
            labels.render_packing_slip(order, packages), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'inline; filename="{order.public_id}-packing-slip.pdf"'
        return response

    @extend_schema(
        summary="Mark a shipped order delivered",
        description="When a carrier or the merchant confirms delivery: the order and its "
        "shipped packages become `delivered`; emits `order.delivered`.",
        tags=TAGS,
        request=None,
        responses={200: OrderSerializer},
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request, id=None):
        order = self.get_object()
        services.order_deliver(order=order, actor=self.actor)
        return self.respond(order.pk)

    @extend_schema(
        summary="Create up to 100 orders",
        description="Each order is validated and created on its own (its own transaction): "
        "results come per item with its `index`, `created` with the new `id` or `error` "
        "(`code`, `message`, `field` such as `items[0].sku`).",
        tags=TAGS,
        request=OrderBulkSerializer,
        responses={200: BulkOrdersResponseSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = validated(OrderBulkSerializer, request.data)
        results = []
        for index, body in enumerate(data["orders"]):
            external_id = body.get("external_id") if isinstance(body, dict) else None
            try:
                order_data = validated(OrderCreateSerializer, body)
                order = services.order_create(
                    account=self.account, data=order_data, actor=self.actor
                )
            except drf_exceptions.ValidationError as exc:
                first = flatten_errors(exc.detail)[0]
                results.append(_failed(index, external_id, "validation_error", first))
            except DomainError as exc:
                error = {"message": exc.message, "field": exc.field}
                results.append(_failed(index, external_id, exc.code, error))
            else:
                results.append(
                    {
                        "index": index,
                        "external_id": external_id,
                        "status": "created",
                        "id": order.public_id,
                    }
                )
        return Response({"results": results})

    @extend_schema(
        summary="Cancel up to 100 orders",
        description="Each order is cancelled on its own; results per order id.",
        tags=TAGS,
        request=CancelBulkSerializer,
        responses={200: CancelBulkResponseSerializer},
    )
    @action(detail=False, methods=["post"])
    def cancel_bulk(self, request):
        data = validated(CancelBulkSerializer, request.data)
        orders = {
            o.public_id: o for o in self.get_queryset().filter(public_id__in=data["order_ids"])
        }
        results = []
        for public_id in data["order_ids"]:
            order = orders.get(public_id)
            if order is None:
                error = {"code": "not_found", "message": "No such order.", "field": "order_ids"}
                results.append({"order_id": public_id, "status": "error", "error": error})
                continue
            try:
                services.order_cancel(order=order, reason=data["reason"], actor=self.actor)
            except DomainError as exc:
                error = {"code": exc.code, "message": exc.message, "field": exc.field}
                results.append({"order_id": public_id, "status": "error", "error": error})
            else:
                results.append({"order_id": public_id, "status": "cancelled"})
        return Response({"results": results})

    @extend_schema(
        summary="An order's history",
        tags=TAGS,
        responses={200: OrderEventSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def events(self, request, id=None):
        order = self.get_object()
        page = self.paginate_queryset(order.events.all())
        return self.get_paginated_response(OrderEventSerializer(page, many=True).data)
