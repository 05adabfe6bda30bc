"""GET/POST /v1/returns: request, decide, receive, refund and close returns (RMAs)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from orders import labels
from orders.models import Order
from returns import services
from returns.api.serializers import (
    AuthorizeSerializer,
    CloseSerializer,
    ReceiveSerializer,
    RejectSerializer,
    ReturnCreateSerializer,
)
from returns.filtersets import ReturnFilterSet
from returns.representation import ReturnSerializer
from returns.selectors import returns_for_account
from vectis.api.views import VectisGenericViewSet, validated
from vectis.errors import ValidationFailed
from warehouses.models import Location, Warehouse

TAGS = ["returns"]


@extend_schema_view(
    list=extend_schema(summary="List returns", tags=TAGS),
    retrieve=extend_schema(summary="Get a return", tags=TAGS),
)
class ReturnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    scope_resource = "returns"
    document_actions = ("label",)
    serializer_class = ReturnSerializer
    filterset_class = ReturnFilterSet
    sort_fields = ("created_at", "updated_at")
    default_sort = "-created_at"
    schema_errors = {
        409: "`invalid_status_transition`, `duplicate_rma`, or an Idempotency-Key conflict."
    }

    def get_queryset(self):
        return returns_for_account(self.account)

    @extend_schema(
        summary="Request a return (RMA)",
        description="Lines by `order_line_id` or `sku`; each may return at most what shipped "
        "minus what other open or received returns claim (409 `over_return` naming the line).",
        tags=TAGS,
        request=ReturnCreateSerializer,
        responses={201: ReturnSerializer},
    )
    def create(self, request):
        data = validated(ReturnCreateSerializer, request.data)
        order = Order.objects.filter(account=self.account, public_id=data["order_id"]).first()
        if order is None:
            raise ValidationFailed(
                f"Invalid order_id: {data['order_id']} not found", field="order_id"
            )
        ret = services.return_create(
            order=order,
            lines=data["lines"],
            notes=data["notes"],
            rma_number=data.get("rma_number", ""),
            actor=self.actor,
        )
        return self.respond(ret.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Authorize a return",
        tags=TAGS,
        request=AuthorizeSerializer,
        responses={200: ReturnSerializer},
    )
    @action(detail=True, methods=["post"])
    def authorize(self, request, id=None):
        ret = self.get_object()
        data = validated(AuthorizeSerializer, request.data or {})
        warehouse = None
        if data.get("warehouse_id"):
            warehouse = Warehouse.objects.filter(
                account=self.account, public_id=data["warehouse_id"]
            ).first()
            if warehouse is None:
                raise ValidationFailed(
                    f"Invalid warehouse_id: {data['warehouse_id']} not found",
                    field="warehouse_id",
                )
        services.return_authorize(
            ret=ret,
            warehouse=warehouse,
            refund=services.refund_record(data.get("refund")),
            label=data["label"],
            actor=self.actor,
        )
        return self.respond(ret.pk)

    @extend_schema(
        summary="Reject a return",
        tags=TAGS,
        request=RejectSerializer,
        responses={200: ReturnSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        ret = self.get_object()
        data = validated(RejectSerializer, request.data)
        services.return_reject(ret=ret, reason=data["reason"], actor=self.actor)
        return self.respond(ret.pk)

    @extend_schema(
        summary="Cancel a return", tags=TAGS, request=None, responses={200: ReturnSerializer}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        ret = self.get_object()
        services.return_cancel(ret=ret, actor=self.actor)
        return self.respond(ret.pk)

    @extend_schema(
        summary="Receive returned units",
        description="Per line: `quantity_received`, `condition` (new, opened, damaged) and "
        "`disposition`: `restock` (a pickable bin of the receiving warehouse; available again, "
        "may fill backorders), `quarantine` (a non-pickable bin: on hand, never allocated) or "
        "`scrap` (recorded, no stock). Partial receipts add up.",
        tags=TAGS,
        request=ReceiveSerializer,
        responses={200: ReturnSerializer},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, id=None):
        ret = self.get_object()
        data = validated(ReceiveSerializer, request.data)
        items = []
        for index, item in enumerate(data["lines"]):
            if item.get("location_id"):
                location = Location.objects.filter(
                    account=self.account, public_id=item["location_id"]
                ).first()
                if location is None:
                    raise ValidationFailed(
                        f"Invalid location_id: {item['location_id']} not found",
                        field=f"lines[{index}].location_id",
                    )
                item = {**item, "location": location}
            items.append(item)
        services.return_receive(ret=ret, items=items, actor=self.actor)
        return self.respond(ret.pk)

    @extend_schema(
        summary="Close a received return",
        tags=TAGS,
        request=CloseSerializer,
        responses={200: ReturnSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, id=None):
        ret = self.get_object()
        data = validated(CloseSerializer, request.data or {})
        services.return_close(
            ret=ret, refund=services.refund_record(data.get("refund")), actor=self.actor
        )
        return self.respond(ret.pk)

    @extend_schema(
        summary="The return label (PDF)",
        description="From the customer to the receiving warehouse; issued on authorize with "
        "`label: true`. 404 `label_not_found` otherwise.",
        tags=TAGS,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def label(self, request, id=None):
        ret = self.get_object()
        if not ret.label_tracking_number:
            raise labels.LabelNotFound("This return has no label.", field="id")
        body = labels.render_pdf([labels.return_label_content(ret)])
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{ret.rma_number}.pdf"'
        return response
