"""The delivery policy: retry schedule, leases, batch sizes, and the errors of the services."""

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from vectis.errors import Conflict
from webhooks.models import Delivery

# Delay before attempt n+1 after attempt n failed (n = 1, 2, …): about 3 days in all.
RETRY_SCHEDULE = [
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2  # ±20 %
INTERRUPTED = (
    "interrupted: the worker stopped before the outcome was recorded; the receiver may have "
    "received this attempt"
)
# Deliveries are (re)queued by the sweep at most this often.
REQUEUE_AFTER = timedelta(minutes=5)
# Retries this soon are queued with a countdown; later ones are left to the sweep.
COUNTDOWN_MAX = timedelta(minutes=15)
# Failures further apart than this belong to separate runs (longest retry gap is 12 h).
FAILING_RUN_GAP = timedelta(hours=24)
# Deliveries restarted per transaction by recover.
RECOVER_BATCH = 1000
# Events per fan-out task when many are emitted at once.
FANOUT_CHUNK = 500
# Events younger than this are left to their own after-commit fan-out.
FANOUT_GRACE = timedelta(seconds=10)
# Attempts per delivery task: a worker makes them side by side on its own threads.
ATTEMPTS_PER_TASK = 50


class EndpointDisabled(Conflict):
    code = "endpoint_disabled"
    default_message = "The webhook endpoint is disabled; enable it first."


class DeliveryInProgress(Conflict):
    code = "delivery_in_progress"
    default_message = "An attempt of this delivery is in flight; try again shortly."


def backoff(run_attempts: int) -> timedelta:
    base = RETRY_SCHEDULE[min(run_attempts, len(RETRY_SCHEDULE)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (jitter, not a secret)


def lease() -> timedelta:
    """How long a claimed attempt may take before the sweep counts its worker as dead."""
    return timedelta(
        seconds=settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS
        + settings.VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS
    )


def unclaimed(now: datetime) -> Q:
    """Not held by another worker (or held past its lease)."""
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claimable(now: datetime) -> Q:
    """Deliveries an attempt may be claimed for now: pending, due, attempts left, and not
    held by another worker (or held past its lease)."""
    return (
        Q(status=Delivery.PENDING)
        & Q(run_attempts__lt=MAX_ATTEMPTS)
        & Q(next_attempt_at__lte=now + timedelta(seconds=1))
        & unclaimed(now)
    )
