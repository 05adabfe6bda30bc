"""What an attempt's result means: its class, the delivery's next state, endpoint health."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Q

from vectis import metrics
from webhooks import http
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.services.policy import COUNTDOWN_MAX, FAILING_RUN_GAP, MAX_ATTEMPTS, backoff

ENDPOINT_DISABLED = "refused: endpoint disabled"


def classify(result: http.HttpResult) -> str:
    """success · retry (timeouts, connection errors, 429, 5xx) · gone (410) · final (rest)."""
    code = result.status_code
    if code is None:
        return "final" if result.final else "retry"
    if 200 <= code < 300:
        return "success"
    if code == 410:
        return "gone"
    if code == 429 or code >= 500:
        return "retry"
    return "final"


@dataclass
class Outcome:
    delivery_id: int
    endpoint_id: int
    attempt: int
    kind: str  # classify()
    result: http.HttpResult
    delivery_values: dict
    retry_countdown: float | None  # seconds, when the retry goes to the broker now


def outcome(
    delivery: Delivery,
    record: DeliveryAttempt,
    result: http.HttpResult,
    now: datetime,
) -> Outcome:
    """What an attempt's result means: the attempt's fields (set on `record`), the delivery's
    next state and whether its retry is queued now."""
    kind = classify(result)
    metrics.observe_webhook_attempt(kind, result.duration_ms)
    attempt = record.number
    retry_at = None
    if kind == "success":
        status = Delivery.SUCCEEDED
    elif kind == "retry" and delivery.run_attempts < MAX_ATTEMPTS:
        status = Delivery.PENDING
        retry_at = now + backoff(delivery.run_attempts)
    else:
        status = Delivery.FAILED
    # Soon retries go to the broker with a countdown; later ones (and all of them when tasks
    # run in-process, where a countdown cannot wait) are queued by the sweep when due.
    queue_retry = (
        retry_at is not None
        and retry_at - now <= COUNTDOWN_MAX
        and not current_app.conf.task_always_eager
    )
    record.status_code = result.status_code
    record.duration_ms = result.duration_ms
    record.category = result.category
    record.error = _text(result.error)
    record.response_body = _text(result.body[: http.RESPONSE_KEEP_BYTES])
    record.finished_at = now
    return Outcome(
        delivery_id=delivery.pk,
        endpoint_id=delivery.endpoint_id,
        attempt=attempt,
        kind=kind,
        result=result,
        delivery_values={
            "id": delivery.pk,
            "attempt_count": attempt,
            "status": status,
            "next_attempt_at": retry_at,
            "last_status_code": result.status_code,
            "last_error": _text(result.error),
            "completed_at": None if status == Delivery.PENDING else now,
            "enqueued_at": now if queue_retry else None,
        },
        retry_countdown=max(0.0, (retry_at - now).total_seconds()) if queue_retry else None,
    )


def _text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; a receiver's answer may."""
    return value.replace("\x00", "\ufffd")


def record_failure(endpoint_id: int, outcome: str, result, now: datetime) -> None:
    """An endpoint's attempt failed (`outcome` is retry, final or gone): start or continue its
    failing run, and disable it on 410 Gone or after failing for the configured time."""
    if result.error == ENDPOINT_DISABLED:
        return
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    # A failure after a quiet spell (no failure for longer than the longest retry gap) starts
    # a new failing run, so one old failure does not count towards disabling.
    endpoints.filter(
        Q(failing_since__isnull=True) | Q(last_failure_at__lt=now - FAILING_RUN_GAP)
    ).update(failing_since=now)
    endpoints.update(last_failure_at=now)
    if outcome == "gone":
        endpoints.filter(active=True).update(
            active=False,
            disabled_at=now,
            disabled_reason="The endpoint answered 410 Gone.",
        )
        return
    limit = timedelta(seconds=settings.VECTIS_WEBHOOK_DISABLE_AFTER_SECONDS)
    endpoints.filter(active=True, failing_since__lte=now - limit).update(
        active=False,
        disabled_at=now,
        disabled_reason=f"Every delivery attempt failed for {_human(limit)}.",
    )


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} hours"
