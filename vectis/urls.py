from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from vectis.accounts.token import TokenView
from vectis.api.views import HealthView, ReadyView, SchemaView
from vectis.metrics_endpoint import metrics_view

v1 = [
    path("openapi.json", SchemaView.as_view(), name="openapi"),
    path("", include("catalog.urls")),
    path("", include("inventory.urls")),
    path("", include("orders.urls")),
    path("", include("returns.urls")),
    path("", include("warehouses.urls")),
    path("", include("webhooks.urls")),
]

urlpatterns = [
    path("oauth/token", TokenView.as_view(), name="oauth-token"),
    path("v1/", include(v1)),
    path(
        "docs",
        SpectacularSwaggerView.as_view(url_name="openapi"),
        name="swagger-ui",
    ),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("readyz", ReadyView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
]

handler400 = "vectis.api.errors.bad_request"
handler403 = "vectis.api.errors.permission_denied"
handler404 = "vectis.api.errors.page_not_found"
handler500 = "vectis.api.errors.server_error"
