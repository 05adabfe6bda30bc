import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vectis.settings")

django_application = get_wsgi_application()

# Imported once Django is set up (it reads settings).
from vectis.api.body import RequestBodyGuard  # noqa: E402

application = RequestBodyGuard(django_application)
