from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from orders import services
from orders.api.serializers import OrderCreateSerializer, OrderEventSerializer, OrderSerializer
from orders.filtersets import OrderFilterSet
from orders.representation import orders_queryset
from vectis.api.views import VectisGenericViewSet, validated

TAGS = ["orders"]


@extend_schema_view(
    list=extend_schema(summary="List orders", tags=TAGS),
    retrieve=extend_schema(summary="Get an order", tags=TAGS),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "orders"
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    sort_fields = ("created_at", "updated_at", "priority")
    default_sort = "-created_at"
    schema_errors = {
        409: "`duplicate_order` (with the existing `order_id`), `invalid_status_transition`, "
        "`order_on_hold`, `conflict_retry`, or an Idempotency-Key conflict."
    }

    def get_queryset(self):
        return orders_queryset(self.account)

    @property
    def actor(self) -> str:
        return str(self.request.user)

    def _respond(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(OrderSerializer(self.get_queryset().get(pk=pk)).data, status=code)

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
        return self._respond(order.pk, status.HTTP_201_CREATED)

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
        return self._respond(order.pk)

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
        return self._respond(order.pk)

    @extend_schema(
        summary="An order's history",
        tags=TAGS,
        responses={200: OrderEventSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def events(self, request, id=None):
        order = self.get_object()
        page = self.paginate_queryset(order.events.all())
        return self.get_paginated_response(OrderEventSerializer(page, many=True).data)
