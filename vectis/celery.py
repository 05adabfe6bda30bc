"""Celery application. Without REDIS_URL every task runs eagerly in-process."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vectis.settings")

app = Celery("vectis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["vectis.api", "vectis.accounts"])
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 15.0},
    "inventory-expire-holds": {"task": "inventory.expire_holds", "schedule": 30.0},
    "inventory-low-stock-sweep": {"task": "inventory.low_stock_sweep", "schedule": 60.0},
    "orders-allocate-backorders": {"task": "orders.allocate_backorders", "schedule": 300.0},
    "purge-expired-idempotency-keys": {
        "task": "vectis.api.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=17),
    },
    "purge-expired-access-tokens": {
        "task": "vectis.accounts.tasks.purge_expired_tokens",
        "schedule": crontab(minute=23, hour="*/6"),
    },
}
