"""`/metrics`: the exposition of vectis/metrics.py, the gauges read from the database at each
scrape, and who may read it. A composition root (it reads orders and webhooks), like the
admin dashboard."""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from orders.models import Order
from vectis.api.client_ip import client_ip
from vectis.api.errors import envelope
from webhooks.models import Delivery, Event


class BacklogCollector:
    """Gauges read from the database at each scrape (cheap: each query uses a partial index)."""

    def describe(self):
        return []  # registering it must not query (the database may not be there yet)

    def collect(self):
        try:
            families = list(self._read())
        except Exception:  # the database is down: say so, do not fail the scrape
            families = []
        up = GaugeMetricFamily("vectis_backlog_up", "1: the backlog gauges could be read.")
        up.add_metric([], 1.0 if families else 0.0)
        return [*families, up]

    def _read(self):
        now = timezone.now()
        oldest = (
            Event.objects.filter(fanned_out_at__isnull=True)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        lag = GaugeMetricFamily(
            "vectis_outbox_lag_seconds", "Age of the oldest event not yet relayed (0: none)."
        )
        lag.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
        yield lag
        yield _gauge(
            "vectis_outbox_unrelayed_events",
            "Events not yet matched to endpoints.",
            Event.objects.filter(fanned_out_at__isnull=True).count(),
        )
        yield _gauge(
            "vectis_allocations_pending",
            "Orders whose allocation was asked for and has not run yet.",
            Order.objects.filter(allocation_due_at__isnull=False).count(),
        )
        yield _gauge(
            "vectis_webhook_deliveries_pending",
            "Deliveries not yet succeeded or given up.",
            Delivery.objects.filter(status=Delivery.PENDING).count(),
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


_BACKLOG = CollectorRegistry()
_BACKLOG.register(BacklogCollector())


def exposition() -> bytes:
    """This process's metrics, or with PROMETHEUS_MULTIPROC_DIR every process's, then the
    backlog gauges."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry) + generate_latest(_BACKLOG)


def allowed(request) -> bool:
    token = settings.VECTIS_METRICS_TOKEN
    if token:
        scheme, _, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        # bytes: compare_digest refuses a str that is not ASCII (headers arrive as latin-1)
        presented_bytes = presented.encode("latin-1", errors="replace")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented_bytes, token.encode()):
            return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in settings.VECTIS_METRICS_ALLOWED_NETWORKS)


def metrics_view(request):
    if request.method not in ("GET", "HEAD"):
        body = envelope("method_not_allowed", "Use GET.", request=request)
        response = JsonResponse(body, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    if not allowed(request):
        message = (
            "Metrics need the VECTIS_METRICS_TOKEN bearer token or an address in "
            "VECTIS_METRICS_ALLOWED_NETWORKS."
        )
        return JsonResponse(envelope("forbidden", message, request=request), status=403)
    started = time.perf_counter()
    body = exposition()
    response = HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["X-Scrape-Seconds"] = f"{time.perf_counter() - started:.4f}"
    return response
