"""The real URLs plus planted endpoints: one that opts out of tenancy (every account's
products), for tests/api/test_matrices.py to show that the generated tenancy matrix catches
it; one that forgets the account filter without opting out, which the base viewset scopes
anyway (tests/api/test_tenancy_base.py)."""

from django.urls import path
from rest_framework import mixins

from catalog.models import Product
from catalog.representation import ProductSerializer
from vectis.api.views import VectisGenericViewSet
from vectis.urls import urlpatterns as real_urlpatterns


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VectisGenericViewSet):
    pass


class UnscopedProductViewSet(ReadOnlyViewSet):
    scope_resource = "products"
    serializer_class = ProductSerializer
    tenancy_opt_out = "planted by a test: shows the tenancy matrix catches a hole"

    def get_queryset(self):
        # The planted hole: every account's products, not the caller's.
        return Product.objects.order_by("pk")


class ForgetfulProductViewSet(ReadOnlyViewSet):
    scope_resource = "products"
    serializer_class = ProductSerializer

    def get_queryset(self):
        # Forgets the account filter, without opting out: the base adds it.
        return Product.objects.order_by("pk")


urlpatterns = [
    path("v1/planted", UnscopedProductViewSet.as_view({"get": "list"})),
    path("v1/planted/<str:id>", UnscopedProductViewSet.as_view({"get": "retrieve"})),
    path("v1/forgetful", ForgetfulProductViewSet.as_view({"get": "list"})),
    path("v1/forgetful/<str:id>", ForgetfulProductViewSet.as_view({"get": "retrieve"})),
    *real_urlpatterns,
]

handler400 = "vectis.api.errors.bad_request"
handler403 = "vectis.api.errors.permission_denied"
handler404 = "vectis.api.errors.page_not_found"
handler500 = "vectis.api.errors.server_error"
