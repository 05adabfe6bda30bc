from rest_framework.routers import SimpleRouter

from inventory.api.views import (
    InventoryViewSet,
    MovementViewSet,
    ReservationViewSet,
    ThresholdViewSet,
)

router = SimpleRouter(trailing_slash=False)
router.register("inventory/movements", MovementViewSet, basename="movement")
router.register("inventory/reservations", ReservationViewSet, basename="reservation")
router.register("inventory/thresholds", ThresholdViewSet, basename="threshold")
router.register("inventory", InventoryViewSet, basename="inventory")

urlpatterns = router.urls
