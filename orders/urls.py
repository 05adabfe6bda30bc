from rest_framework.routers import SimpleRouter

from orders.api.packages import PackageViewSet
from orders.api.views import OrderViewSet

router = SimpleRouter(trailing_slash=False)
router.register("orders", OrderViewSet, basename="order")
router.register("packages", PackageViewSet, basename="package")

urlpatterns = router.urls
