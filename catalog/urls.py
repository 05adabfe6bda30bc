from django.urls import path
from rest_framework.routers import SimpleRouter

import vectis.api.converters  # noqa: F401  (registers <pubid:…>)
from catalog.api.aliases import AliasViewSet
from catalog.api.views import ProductAliasViewSet, ProductViewSet

router = SimpleRouter(trailing_slash=False)
router.register("products", ProductViewSet, basename="product")
router.register("aliases", AliasViewSet, basename="alias")

urlpatterns = [
    path(
        "products/<pubid:product_id>/aliases",
        ProductAliasViewSet.as_view({"get": "list", "post": "create"}),
        name="product-aliases",
    ),
    path(
        "products/<pubid:product_id>/aliases/<pubid:alias_id>",
        ProductAliasViewSet.as_view({"delete": "destroy"}),
        name="product-alias-detail",
    ),
    *router.urls,
]
