"""The real URLs plus views that fail, to see how failures are answered."""

from django.urls import path
from rest_framework.response import Response

from vectis.api.views import VectisAPIView
from vectis.urls import urlpatterns as real_urlpatterns


class BoomView(VectisAPIView):
    scope_resource = "warehouses"

    def get(self, request):
        raise RuntimeError("kaboom: secret internals")

    def post(self, request):
        raise RuntimeError("kaboom on write")


class OkView(VectisAPIView):
    scope_resource = "warehouses"

    def post(self, request):
        return Response({"ok": True, "echo": request.data}, status=201)


def plain_django_boom(request):
    raise RuntimeError("kaboom outside DRF")


urlpatterns = [
    path("v1/test/boom", BoomView.as_view()),
    path("v1/test/ok", OkView.as_view()),
    path("v1/test/django-boom", plain_django_boom),
    *real_urlpatterns,
]

handler400 = "vectis.api.errors.bad_request"
handler403 = "vectis.api.errors.permission_denied"
handler404 = "vectis.api.errors.page_not_found"
handler500 = "vectis.api.errors.server_error"
