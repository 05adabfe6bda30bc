from django.urls import path
from rest_framework.routers import SimpleRouter

import vectis.api.converters  # noqa: F401  (registers <pubid:…>)
from warehouses.api.views import LocationViewSet, WarehouseLocationViewSet, WarehouseViewSet

router = SimpleRouter(trailing_slash=False)
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("locations", LocationViewSet, basename="location")

urlpatterns = [
    path(
        "warehouses/<pubid:warehouse_id>/locations",
        WarehouseLocationViewSet.as_view({"get": "list", "post": "create"}),
        name="warehouse-locations",
    ),
    *router.urls,
]
