"""The real URLs plus one planted endpoint without tenancy, for tests/api/test_matrices.py to
show that the generated tenancy matrix catches it."""

from django.urls import path

from catalog.models import Product
from catalog.representation import ProductSerializer
from vectis.api.views import ReadOnlyViewSet
from vectis.urls import urlpatterns as real_urlpatterns


class UnscopedProductViewSet(ReadOnlyViewSet):
    scope_resource = "products"
    serializer_class = ProductSerializer

    def get_queryset(self):
        # The planted hole: every account's products, not the caller's.
        return Product.objects.order_by("pk")


urlpatterns = [
    path("v1/planted", UnscopedProductViewSet.as_view({"get": "list"})),
    path("v1/planted/<str:id>", UnscopedProductViewSet.as_view({"get": "retrieve"})),
    *real_urlpatterns,
]

handler400 = "vectis.api.errors.bad_request"
handler403 = "vectis.api.errors.permission_denied"
handler404 = "vectis.api.errors.page_not_found"
handler500 = "vectis.api.errors.server_error"
