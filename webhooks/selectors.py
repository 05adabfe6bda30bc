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
