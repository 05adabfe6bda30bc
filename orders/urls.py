from rest_framework.routers import SimpleRouter

from orders.api.holds import HoldViewSet
from orders.api.packages import PackageViewSet
from orders.api.views import OrderViewSet

router = SimpleRouter(trailing_slash=False)
router.register("orders", OrderViewSet, basename="order")
router.register("packages", PackageViewSet, basename="package")
# /v1/inventory/reserve and /release (inventory's own routes are in inventory.urls)
router.register("inventory", HoldViewSet, basename="inventory-hold")

urlpatterns = router.urls
