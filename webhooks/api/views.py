from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from vectis.accounts.scopes import RESOURCES
from vectis.api.filters import check_query_params
from vectis.api.views import VectisGenericViewSet, validated
from webhooks import event_types, selectors, services
from webhooks import sync as webhooks_sync
from webhooks.api.serializers import (
    DeliverySerializer,
    EventSerializer,
    EventSyncPageSerializer,
    EventSyncQuerySerializer,
    EventTypeListSerializer,
    RecoverResultSerializer,
    RecoverSerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)
from webhooks.filtersets import DeliveryFilterSet, EventFilterSet

MANAGE = ["webhooks:manage"]
TAGS = ["webhooks"]


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints", tags=TAGS),
    retrieve=extend_schema(summary="Get a webhook endpoint", tags=TAGS),
)
class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    required_scopes = MANAGE
    serializer_class = WebhookEndpointSerializer
    sort_fields = ("created_at", "updated_at", "url")
    default_sort = "created_at"
    schema_errors = {
        409: "`endpoint_disabled`: enable the endpoint first (recover), or an "
        "Idempotency-Key conflict.",
    }

    def get_queryset(self):
        return selectors.endpoints_for_account(self.account)

    @extend_schema(
        summary="Register a webhook endpoint",
        description="The URL must be https and must not point at a private, loopback or "
        "link-local address. The response carries the signing `secret`, shown only here and "
        "by rotate_secret.",
        tags=TAGS,
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
    )
    def create(self, request):
        data = validated(WebhookEndpointCreateSerializer, request.data)
        created = services.endpoint_create(account=self.account, data=data)
        body = WebhookEndpointSerializer(created.endpoint).data | {"secret": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a webhook endpoint",
        description="Setting `active: true` re-enables an endpoint that was disabled.",
        tags=TAGS,
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
    )
    def partial_update(self, request, id=None):
        endpoint = self.get_object()
        data = validated(WebhookEndpointUpdateSerializer, request.data, partial=True)
        services.endpoint_update(endpoint=endpoint, data=data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(summary="Delete a webhook endpoint", tags=TAGS, responses={204: None})
    def destroy(self, request, id=None):
        services.endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate the signing secret",
        tags=TAGS,
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate_secret")
    def rotate_secret(self, request, id=None):
        endpoint = self.get_object()
        secret = services.endpoint_rotate_secret(endpoint=endpoint)
        return Response(WebhookEndpointSerializer(endpoint).data | {"secret": secret})

    @extend_schema(
        summary="Send a ping event to this endpoint",
        tags=TAGS,
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request, id=None):
        delivery = services.endpoint_send_test(endpoint=self.get_object())
        delivery = selectors.deliveries_for_account(self.account).get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Resend every failed or pending delivery since a time",
        tags=TAGS,
        request=RecoverSerializer,
        responses={202: RecoverResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="recover")
    def recover(self, request, id=None):
        data = validated(RecoverSerializer, request.data)
        count = services.endpoint_recover(endpoint=self.get_object(), since=data["since"])
        return Response({"requeued": count}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="List the event types",
        tags=TAGS,
        responses={200: EventTypeListSerializer},
    )
    @action(detail=False, methods=["get"], url_path="event_types", pagination_class=None)
    def event_types(self, request):
        rows = [
            {"type": t.name, "description": t.description, "scope": t.scope}
            for t in event_types.EVENT_TYPES.values()
        ]
        return Response({"data": rows})


@extend_schema_view(list=extend_schema(summary="List an endpoint's deliveries", tags=TAGS))
class WebhookDeliveryViewSet(mixins.ListModelMixin, VectisGenericViewSet):
    """`/v1/webhooks/{webhook_id}/deliveries`: the delivery log of one endpoint."""

    required_scopes = MANAGE
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    sort_fields = ("created_at",)
    default_sort = "-created_at"

    def get_queryset(self):
        queryset = selectors.deliveries_for_account(self.account)
        if getattr(self, "swagger_fake_view", False):
            return queryset
        endpoint = get_object_or_404(
            selectors.endpoints_for_account(self.account), public_id=self.kwargs["webhook_id"]
        )
        return queryset.filter(endpoint=endpoint)


@extend_schema_view(retrieve=extend_schema(summary="Get a delivery with its attempts", tags=TAGS))
class DeliveryViewSet(mixins.RetrieveModelMixin, VectisGenericViewSet):
    required_scopes = MANAGE
    serializer_class = DeliverySerializer
    schema_errors = {
        409: "`endpoint_disabled` or `delivery_in_progress`, or an Idempotency-Key conflict."
    }

    def get_queryset(self):
        return selectors.deliveries_for_account(self.account)

    @extend_schema(
        summary="Send a delivery again",
        tags=TAGS,
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"], url_path="redeliver")
    def redeliver(self, request, id=None):
        delivery = services.delivery_redeliver(delivery=self.get_object())
        delivery = self.get_queryset().get(pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


EVENT_SCOPES = [f"{resource}:read" for resource in RESOURCES] + MANAGE


@extend_schema_view(
    list=extend_schema(
        summary="List events (the feed to reconcile from)",
        description="Events your token may read: those of resources whose read scope it holds, "
        "or all of them with `webhooks:manage`. Newest first; `sort=created_at` walks forward "
        "from `created_after`.",
        tags=["events"],
    ),
    retrieve=extend_schema(summary="Get an event", tags=["events"]),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    required_scopes = EVENT_SCOPES
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    sort_fields = ("created_at",)
    default_sort = "-created_at"

    def get_queryset(self):
        scopes = getattr(self.request.user, "scopes", frozenset())
        return selectors.events_for_account(self.account).filter(
            type__in=event_types.types_visible_to(scopes)
        )

    @extend_schema(
        summary="Follow the events without a gap (sync tokens)",
        description="The events committed after a position, oldest first, each exactly once: "
        "start from the `meta.sync_token` of `GET /v1/inventory/snapshot` (or from now, "
        "without `token`) and send each answer's `meta.next_token` with the next call. "
        "Unlike `created_after` or ids, a token cannot miss the event of a transaction that "
        "committed late. `has_more`: call again at once; else poll when you like.",
        tags=["events"],
        parameters=[EventSyncQuerySerializer],
        responses={200: EventSyncPageSerializer},
    )
    @action(detail=False, methods=["get"], url_path="sync", pagination_class=None)
    def sync(self, request):
        check_query_params(request.query_params, EventSyncQuerySerializer().fields)
        query = validated(EventSyncQuerySerializer, request.query_params)
        events = self.get_queryset()
        if "type" in query:
            events = events.filter(type__in=query["type"])
        if "token" not in query:
            rows, position, more = [], webhooks_sync.now(), False
        else:
            position = webhooks_sync.parse(query["token"])
            rows, position, more = webhooks_sync.events_after(events, position, query["per_page"])
        meta = {"next_token": position.token(), "has_more": more, "per_page": query["per_page"]}
        return Response({"data": EventSerializer(rows, many=True).data, "meta": meta})
