from django.urls import path
from rest_framework.routers import SimpleRouter

from catalog.api.views import ProductAliasViewSet, ProductViewSet

router = SimpleRouter(trailing_slash=False)
router.register("products", ProductViewSet, basename="product")

urlpatterns = [
    path(
        "products/<str:product_id>/aliases",
        ProductAliasViewSet.as_view({"get": "list", "post": "create"}),
        name="product-aliases",
    ),
    path(
        "products/<str:product_id>/aliases/<str:alias_id>",
        ProductAliasViewSet.as_view({"delete": "destroy"}),
        name="product-alias-detail",
    ),
    *router.urls,
]
