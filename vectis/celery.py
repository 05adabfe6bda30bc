"""Celery application. Without REDIS_URL every task runs eagerly in-process.

The beat schedule is CELERY_BEAT_SCHEDULE in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vectis.settings")

app = Celery("vectis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["vectis.api", "vectis.accounts"])
app.autodiscover_tasks()

import vectis.task_signals  # noqa: E402, F401  (log context and metrics of every task)
