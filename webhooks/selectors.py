from django.db.models import QuerySet

from webhooks.models import Delivery, Event, WebhookEndpoint


def endpoints_for_account(account) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(account=account)


def deliveries_for_account(account) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(account=account)
        .select_related("event", "endpoint")
        .defer("endpoint__secret")
        .prefetch_related("attempts")
    )


def events_for_account(account) -> QuerySet[Event]:
    return Event.objects.filter(account=account)


def endpoints_matching(*, account=None, public_id: str | None = None) -> QuerySet[WebhookEndpoint]:
    """Every endpoint (an operator's view, all accounts), or an account's, or one by `whk_…` id;
    oldest first."""
    endpoints = WebhookEndpoint.objects.select_related("account").order_by("pk")
    if account is not None:
        endpoints = endpoints.filter(account=account)
    if public_id is not None:
        endpoints = endpoints.filter(public_id=public_id)
    return endpoints
