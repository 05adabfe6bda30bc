from datetime import timedelta

from django import forms
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vectis.api.filters import CommaListField
from vectis.api.serializers import StrictSerializer
from vectis.serializers import BooleanField, CharField, DateTimeField, IntegerField, URLField
from webhooks.event_types import EVENT_TYPES
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


@extend_schema_field({"type": "string", "enum": ["*", *sorted(EVENT_TYPES)]})
class EventTypeField(CharField):
    """An event type, or "*" for all (the services check it; the schema lists them)."""


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = CharField(source="public_id", read_only=True)
    events = serializers.ListField(child=CharField())

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "events",
            "description",
            "active",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        ]


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = CharField(
        help_text="Signing secret (`whsec_…`). Shown only on create and rotate_secret."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointCreateSerializer(StrictSerializer):
    resource = WebhookEndpointWithSecretSerializer
    url = URLField(max_length=2048)
    events = serializers.ListField(
        child=EventTypeField(max_length=64),
        allow_empty=False,
        max_length=100,
        help_text='Event types to receive, or ["*"] for every type.',
    )
    description = CharField(max_length=500, required=False, allow_blank=True)
    active = BooleanField(default=True)

    example = {
        "url": "https://erp.example.com/hooks/vectis",
        "events": ["order.created", "order.shipped"],
        "description": "ERP order feed",
    }


class WebhookEndpointUpdateSerializer(StrictSerializer):
    url = URLField(max_length=2048, required=False)
    events = serializers.ListField(
        child=EventTypeField(max_length=64),
        allow_empty=False,
        max_length=100,
        required=False,
    )
    description = CharField(max_length=500, required=False, allow_blank=True)
    active = BooleanField(required=False)

    resource = WebhookEndpointWithSecretSerializer
    example = {"events": ["*"], "description": "Everything, for the audit log"}


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "attempted_at",
            "finished_at",
            "status_code",
            "duration_ms",
            "category",
            "error",
            "response_body",
        ]
        extra_kwargs = {
            "category": {
                "help_text": "Empty for a success; `in_flight` while the attempt runs; "
                "`interrupted` when the worker stopped before recording the outcome (the "
                "receiver may have received it); otherwise `dns`, `refused`, `timeout`, `tls`, "
                "`http_status` or `internal`."
            }
        }


class DeliverySerializer(serializers.ModelSerializer):
    id = CharField(source="public_id", read_only=True)
    event_id = CharField(source="event.public_id", read_only=True)
    webhook_id = CharField(source="endpoint.public_id", read_only=True)
    attempts = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "webhook_id",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "completed_at",
            "attempts",
        ]


class EventSerializer(serializers.ModelSerializer):
    id = CharField(source="public_id", read_only=True)
    data = serializers.JSONField()

    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "data"]


class EventTypeSerializer(serializers.Serializer):
    type = CharField()
    description = CharField()
    scope = CharField(help_text="Read scope that shows this type in /v1/events.")


class EventTypeListSerializer(serializers.Serializer):
    data = EventTypeSerializer(many=True)


class RecoverSerializer(StrictSerializer):
    since = DateTimeField(
        help_text="Resend every delivery created since this time that has not succeeded; at "
        "most VECTIS_RETENTION_DELIVERIES_DAYS (30) days ago (older: 400 `before_retention`)."
    )

    # within the delivery log's retention, whenever the schema is read
    example = {"since": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:00:00Z")}


class RecoverResultSerializer(serializers.Serializer):
    requeued = IntegerField()


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": sorted(EVENT_TYPES)}})
class EventTypesQueryField(serializers.CharField):
    """`?type=a,b`: event types, each one the catalogue knows."""

    def to_internal_value(self, data):
        try:
            field = CommaListField(choices=[(name, name) for name in EVENT_TYPES])
            return field.clean(super().to_internal_value(data))
        except forms.ValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code="invalid") from None


class EventSyncQuerySerializer(serializers.Serializer):
    token = serializers.CharField(
        required=False,
        help_text="`meta.next_token` of the previous call, or the `meta.sync_token` of a "
        "snapshot. Without it: from now on (no events, and the token to follow from).",
    )
    type = EventTypesQueryField(required=False, help_text="One type or a comma list.")
    per_page = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class EventSyncMetaSerializer(serializers.Serializer):
    next_token = CharField(help_text="Send it with the next call; it never skips or repeats.")
    has_more = BooleanField(help_text="More events are waiting: call again at once.")
    per_page = IntegerField()


class EventSyncPageSerializer(serializers.Serializer):
    data = EventSerializer(many=True)
    meta = EventSyncMetaSerializer()
