"""Attempts: claimed with a conditional UPDATE (so a redelivered task never repeats or
double-counts one), logged in flight, sent with no transaction open, outcomes recorded."""

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vectis import crypto
from vectis.db import update_rows
from webhooks import http, signing
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from webhooks.services import queue
from webhooks.services.outcomes import ENDPOINT_DISABLED, Outcome, outcome, record_failure
from webhooks.services.policy import claimable, lease

logger = logging.getLogger("vectis.webhooks")


def attempt_delivery(delivery_id: int, attempt: int) -> DeliveryAttempt | None:
    """Make attempt `attempt` of a delivery if it is due and not yet made; None otherwise.

    No transaction is open during the HTTP request.
    """
    now = timezone.now()
    record = _claim(delivery_id, attempt, now)
    if record is None:
        return None
    delivery = (
        Delivery.objects.select_related("event", "endpoint")
        .defer("endpoint__secret")  # read in _send, where a failure is this attempt's
        .get(pk=delivery_id)
    )
    _record_many([(delivery, record)], [_send_safely(delivery)])
    return record


def attempt_deliveries(pairs: list[tuple[int, int]]) -> int:
    """Make these attempts in waves: each wave is claimed and logged in flight in one
    transaction, its requests go out side by side on VECTIS_WEBHOOK_DELIVERY_THREADS threads,
    and one transaction records its outcomes. A wave holds no more attempts than can all end
    within their lease even if every one runs to its timeout (`wave_size`), so the sweep never
    counts a waiting attempt as a dead worker's. Connections a receiver keeps alive are
    reused by the later attempts of the batch to the same checked address. Returns how many
    were made (a repeat of a done attempt, or one another worker holds, is skipped)."""
    pairs = [(int(delivery_id), int(attempt)) for delivery_id, attempt in pairs]
    # Waves of even size (50 attempts at 24 a wave: 17, 17, 16 rather than 24, 24, 2).
    waves = -(-len(pairs) // wave_size())
    size = -(-len(pairs) // waves) if waves else 0
    made = 0
    with http.ConnectionPool() as pool:
        for start in range(0, len(pairs), size or 1):
            made += _attempt_wave(pairs[start : start + size], pool)
    return made


def wave_size() -> int:
    """Attempts claimed together: the threads times the rounds of timeouts that fit in the
    claim grace. The last round starts at most (rounds - 1) timeouts after the claim and ends
    by `rounds` timeouts, within the lease (one timeout plus the grace) with a timeout to
    spare."""
    threads = max(1, settings.VECTIS_WEBHOOK_DELIVERY_THREADS)
    timeout = max(settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS, 0.001)
    rounds = max(1, int(settings.VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS // timeout))
    return threads * rounds


def request_body(event: Event) -> bytes:
    payload = {
        "id": event.public_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


_senders = threading.local()


def _sender_pool(size: int) -> ThreadPoolExecutor:
    """The sending threads of the calling thread, started once: each caller has threads of
    its own, so no wave waits behind another caller's (with tasks in-process, two background
    threads deliver at once). Started again in a forked child, whose copy is gone."""
    pid = os.getpid()
    if getattr(_senders, "key", None) != (pid, size):
        _senders.key = (pid, size)
        _senders.pool = ThreadPoolExecutor(size, thread_name_prefix="webhook-send")
    return _senders.pool


def _attempt_wave(pairs: list[tuple[int, int]], pool: http.ConnectionPool | None = None) -> int:
    now = timezone.now()
    try:
        claimed = _claim_many(pairs, now)
    except crypto.DecryptionFailed:
        # A secret no key can read: attempt one by one, so that only those attempts fail
        # (each is recorded as an internal error).
        return sum(attempt_delivery(d, a) is not None for d, a in pairs)
    if not claimed:
        return 0
    deliveries = [delivery for delivery, _ in claimed]
    bodies: dict[int, bytes] = {}  # one body per event: its deliveries are signed apart

    def send(delivery: Delivery) -> http.HttpResult:
        return _send_safely(delivery, pool=pool, bodies=bodies)

    if len(deliveries) == 1:
        results = [send(deliveries[0])]
    else:
        senders = _sender_pool(max(1, settings.VECTIS_WEBHOOK_DELIVERY_THREADS))
        results = list(senders.map(send, deliveries))
    _record_many(claimed, results)
    return len(claimed)


def _claim(delivery_id: int, attempt: int, now: datetime) -> DeliveryAttempt | None:
    """Take attempt number `attempt` of a due delivery (exactly one caller can) and write it
    to the log as in flight, in one transaction: an attempt that reaches the receiver is in
    the log even if this worker dies before it hears back."""
    with transaction.atomic():
        taken = Delivery.objects.filter(
            claimable(now), pk=delivery_id, attempt_count=attempt - 1
        ).update(
            attempt_count=attempt,
            run_attempts=F("run_attempts") + 1,
            claimed_until=now + lease(),
            last_attempt_at=now,
        )
        if not taken:
            return None
        # A row left in flight by an earlier worker that died with this number cannot exist:
        # the claim moved attempt_count to `attempt` just now.
        return DeliveryAttempt.objects.create(
            delivery_id=delivery_id, number=attempt, attempted_at=now
        )


def _claim_many(
    pairs: list[tuple[int, int]], now: datetime
) -> list[tuple[Delivery, DeliveryAttempt]]:
    """`_claim` for many attempts in one transaction of four statements: the due deliveries
    locked (with their event and endpoint; rows another worker holds are skipped), their
    claim, and their attempts logged in flight."""
    if not pairs:
        return []
    wanted: dict[int, set[int]] = {}
    for delivery_id, attempt in pairs:
        wanted.setdefault(delivery_id, set()).add(attempt)
    with transaction.atomic():
        # Locked by id (a delivery already past the attempt asked for is locked for this
        # short transaction but not claimed: its attempt was made).
        deliveries = [
            delivery
            for delivery in Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "endpoint")
            .filter(claimable(now), pk__in=sorted(wanted))
            .order_by("pk")
            if delivery.attempt_count + 1 in wanted[delivery.pk]
        ]
        if not deliveries:
            return []
        until = now + lease()
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            attempt_count=F("attempt_count") + 1,
            run_attempts=F("run_attempts") + 1,
            claimed_until=until,
            last_attempt_at=now,
        )
        for delivery in deliveries:
            delivery.attempt_count += 1
            delivery.run_attempts += 1
            delivery.claimed_until, delivery.last_attempt_at = until, now
        records = DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(delivery_id=d.pk, number=d.attempt_count, attempted_at=now)
                for d in deliveries
            ]
        )
    return list(zip(deliveries, records, strict=True))


def _send_safely(delivery: Delivery, **kwargs) -> http.HttpResult:
    # Whatever goes wrong, the claimed attempt is recorded, so the retry schedule and its
    # limit still apply (an unrecorded claim would be retried for ever).
    try:
        return _send(delivery, **kwargs)
    except Exception as exc:
        logger.exception(
            "webhook delivery %s attempt %s failed", delivery.public_id, delivery.attempt_count
        )
        return http.HttpResult(
            None, "", f"internal error: {exc.__class__.__name__}", 0, http.INTERNAL
        )


def _send(
    delivery: Delivery,
    *,
    pool: http.ConnectionPool | None = None,
    bodies: dict[int, bytes] | None = None,
) -> http.HttpResult:
    endpoint = delivery.endpoint
    if not endpoint.active:
        return http.HttpResult(None, "", ENDPOINT_DISABLED, 0, http.REFUSED, final=True)
    body = bodies.get(delivery.event_id) if bodies is not None else None
    if body is None:
        body = request_body(delivery.event)
        if bodies is not None:
            bodies[delivery.event_id] = body
    headers = signing.headers(
        secret=endpoint.secret,
        event_id=delivery.event.public_id,
        event_type=delivery.event_type,
        delivery_id=delivery.public_id,
        timestamp=int(time.time()),  # when it is sent (a wave may wait a round)
        body=body,
    )
    return http.post(
        endpoint.url, body, headers, timeout=settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS, pool=pool
    )


def _record_many(
    claimed: list[tuple[Delivery, DeliveryAttempt]], results: list[http.HttpResult]
) -> None:
    """Record the outcomes of claimed attempts in one transaction: one UPDATE of the
    attempts, one of the deliveries (each only if still at the attempt it claimed), endpoint
    health (one UPDATE for every endpoint with a success, then each endpoint whose last
    attempt failed); soon retries are queued after it."""
    now = timezone.now()
    outcomes = [
        outcome(delivery, record, result, now)
        for (delivery, record), result in zip(claimed, results, strict=True)
    ]
    attempt_fields = ("status_code", "duration_ms", "category", "error", "response_body")
    with transaction.atomic():
        update_rows(
            DeliveryAttempt,
            [
                {"id": record.pk, **{name: getattr(record, name) for name in attempt_fields}}
                for _, record in claimed
            ],
            match=("id",),
            also={"finished_at": now},
        )
        # Each delivery only if still at the attempt it claimed.
        update_rows(
            Delivery,
            [o.delivery_values for o in outcomes],
            match=("id", "attempt_count"),
            also={"claimed_until": None},
        )
        last: dict[int, Outcome] = {}
        for item in outcomes:
            if last.get(item.endpoint_id) is None or last[item.endpoint_id].kind != "gone":
                last[item.endpoint_id] = item
        # Any success ends a failing run (as it would attempt by attempt); a failure after it
        # in the batch starts a new one below.
        healthy = sorted({item.endpoint_id for item in outcomes if item.kind == "success"})
        if healthy:
            WebhookEndpoint.objects.filter(pk__in=healthy, failing_since__isnull=False).update(
                failing_since=None
            )
        for pk, item in last.items():
            if item.kind != "success":
                record_failure(pk, item.kind, item.result, now)
    for item in outcomes:
        if item.retry_countdown is not None:
            queue.enqueue_attempts([(item.delivery_id, item.attempt + 1)], item.retry_countdown)
