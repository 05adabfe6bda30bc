from rest_framework.routers import SimpleRouter

from returns.api.views import ReturnViewSet

router = SimpleRouter(trailing_slash=False)
router.register("returns", ReturnViewSet, basename="return")

urlpatterns = router.urls
