from rest_framework.routers import SimpleRouter

from warehouses.api.views import LocationViewSet, WarehouseViewSet

router = SimpleRouter(trailing_slash=False)
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("locations", LocationViewSet, basename="location")

urlpatterns = router.urls
