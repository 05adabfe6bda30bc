"""Endpoints: register, change, rotate the secret, delete, and send a test ping."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from vectis.accounts.models import Account
from vectis.errors import ValidationFailed
from webhooks import event_types, signing, ssrf
from webhooks.models import Delivery, Event, WebhookEndpoint
from webhooks.services import queue
from webhooks.services.policy import EndpointDisabled


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def endpoint_create(*, account: Account, data: dict) -> CreatedEndpoint:
    """Register an endpoint after the SSRF check; its signing secret is returned only here."""
    url = ssrf.validate_url(data["url"])
    secret = signing.generate_secret()
    endpoint = WebhookEndpoint.objects.create(
        account=account,
        url=url,
        events=_validate_events(data.get("events") or []),
        description=data.get("description", ""),
        active=data.get("active", True),
        secret=secret,
    )
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def endpoint_update(*, endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    """Change url/events/description/active; enabling clears the disabled reason."""
    fields = []
    if "url" in data:
        endpoint.url = ssrf.validate_url(data["url"])
        fields.append("url")
    if "events" in data:
        endpoint.events = _validate_events(data["events"])
        fields.append("events")
    if "description" in data:
        endpoint.description = data["description"]
        fields.append("description")
    if "active" in data:
        endpoint.active = data["active"]
        fields.append("active")
        if data["active"]:
            endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
            fields += ["disabled_reason", "disabled_at", "failing_since"]
    if fields:
        endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret; deliveries from now on are signed with the new one."""
    secret = signing.generate_secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return secret


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """Send a `ping` event to this endpoint only (even if it does not subscribe to pings)."""
    if not endpoint.active:
        raise EndpointDisabled()
    with transaction.atomic():
        now = timezone.now()
        event = Event.objects.create(
            account_id=endpoint.account_id,
            type="ping",
            data={"webhook_id": endpoint.public_id, "url": endpoint.url},
            fanned_out_at=now,
        )
        delivery = Delivery.due(
            account_id=endpoint.account_id,
            event_id=event.pk,
            endpoint=endpoint,
            event_type=event.type,
            now=now,
        )
        delivery.event = event  # cached for the caller
        delivery.save()
        transaction.on_commit(lambda: queue.enqueue_attempts([(delivery.pk, 1)]))
    return delivery


def _validate_events(events: list[str]) -> list[str]:
    if not events:
        raise ValidationFailed('List at least one event type, or "*".', field="events")
    if "*" in events:
        return ["*"]
    unknown = [e for e in events if e not in event_types.EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type(s): {', '.join(unknown)}. See GET /v1/webhooks/event_types.",
            field="events",
        )
    return sorted(set(events))
