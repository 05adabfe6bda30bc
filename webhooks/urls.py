from django.urls import path
from rest_framework.routers import SimpleRouter

import vectis.api.converters  # noqa: F401  (registers <pubid:…>)
from webhooks.api.views import DeliveryViewSet, EventViewSet, WebhookDeliveryViewSet, WebhookViewSet

router = SimpleRouter(trailing_slash=False)
# Before "webhooks" so that /webhooks/deliveries/… is never read as a webhook id.
router.register("webhooks/deliveries", DeliveryViewSet, basename="delivery")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("events", EventViewSet, basename="event")

urlpatterns = [
    path(
        "webhooks/<pubid:webhook_id>/deliveries",
        WebhookDeliveryViewSet.as_view({"get": "list"}),
        name="webhook-deliveries",
    ),
    *router.urls,
]
