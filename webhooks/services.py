"""Webhooks: the outbox (emit), endpoints, fan-out, delivery attempts, retries and recovery.

Flow: `emit()` writes an Event in the caller's transaction and queues nothing → the relay
(`relay_pending`, run by the dispatcher, `manage.py dispatch`, and as a fallback by the
periodic sweep) fans committed events out in batches: one INSERT of the deliveries of many
events (unique per event and endpoint) → attempts go to workers in batches
(`webhooks.deliver_batch`); attempt N is claimed with a conditional UPDATE so a redelivered
task never repeats or double-counts it → failures are retried on a fixed backoff schedule by
the sweep. With tasks in-process (the embedded default) the events of a transaction are
fanned out right after its commit, on a background thread.
"""

import json
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from celery import current_app
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from vectis import crypto, tasks
from vectis.accounts.models import Account
from vectis.db import bulk_insert, update_rows
from vectis.errors import Conflict, ValidationFailed
from webhooks import event_types, http, signing, ssrf
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint

logger = logging.getLogger("vectis.webhooks")

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


class EndpointDisabled(Conflict):
    code = "endpoint_disabled"
    default_message = "The webhook endpoint is disabled; enable it first."


class DeliveryInProgress(Conflict):
    code = "delivery_in_progress"
    default_message = "An attempt of this delivery is in flight; try again shortly."


# --- recording --------------------------------------------------------------------------------
def emit(account: Account | int, type: str, data: dict) -> Event:
    """Record an event in the caller's transaction; fan-out runs only after it commits."""
    event_types.get(type)  # unknown types are a programming error
    account_id = account if isinstance(account, int) else account.pk
    # Round-trip through JSON so Decimals and datetimes are stored as the API renders them.
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    event = Event.objects.create(account_id=account_id, type=type, data=payload)
    _after_commit([event.pk])
    return event


def emit_many(account: Account | int, events: list[tuple[str, dict]]) -> list[Event]:
    """`emit` for many events at once (bulk writes, imports): one COPY on PostgreSQL."""
    if not events:
        return []
    for type, _ in events:
        event_types.get(type)
    account_id = account if isinstance(account, int) else account.pk
    now = timezone.now()
    rows = [
        Event(account_id=account_id, type=type, data=_stored(data), created_at=now)
        for type, data in events
    ]
    bulk_insert(
        Event,
        rows,
        ["public_id", "account_id", "type", "data", "created_at"],
        lambda e: (e.public_id, e.account_id, e.type, _json_text(e.data), e.created_at),
    )
    ids = [row.pk for row in rows]
    if None in ids:  # a backend that cannot return ids from a bulk insert: the sweep fans out
        return rows
    _after_commit(ids)
    return rows


def _stored(data: dict):
    """The payload as stored: Decimals and datetimes as the API renders them."""
    return orjson.loads(_json_text(data))


def _json_text(data) -> str:
    return orjson.dumps(
        data,
        default=_ENCODER.default,
        option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS,
    ).decode()


_ENCODER = DjangoJSONEncoder()


def emit_events(events: list[tuple[int, str, dict]]) -> list[Event]:
    """`emit` for many (account id, type, data) events of any accounts: one INSERT."""
    if not events:
        return []
    for _, type, _ in events:
        event_types.get(type)
    rows = Event.objects.bulk_create(
        [
            Event(
                account_id=account_id,
                type=type,
                data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            )
            for account_id, type, data in events
        ],
        batch_size=1000,
    )
    ids = [row.pk for row in rows]
    if None not in ids:  # else: a backend that cannot return ids; the sweep fans out
        _after_commit(ids)
    return rows


def _after_commit(event_ids: list[int]) -> None:
    """Nothing is queued per event: the relay finds committed events itself. Only with tasks
    in-process (no broker, no dispatcher) are they fanned out right after the commit."""
    if not current_app.conf.task_always_eager:
        return

    def relay() -> None:
        from webhooks.tasks import fan_out_events

        for start in range(0, len(event_ids), FANOUT_CHUNK):
            chunk = event_ids[start : start + FANOUT_CHUNK]
            tasks.enqueue(fan_out_events, (chunk,))

    transaction.on_commit(relay)


def fan_out(event_id: int) -> list[int]:
    """Create one Delivery per matching active endpoint, once; returns the new delivery ids."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.fanned_out_at is not None:
            return []
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(account_id=event.account_id, active=True)
            if e.wants(event.type)
        ]
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                Delivery(
                    account_id=event.account_id,
                    event=event,
                    endpoint=endpoint,
                    event_type=event.type,
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for endpoint in endpoints
            ],
            ignore_conflicts=True,
        )
        event.fanned_out_at = now
        event.save(update_fields=["fanned_out_at"])
        ids = list(
            Delivery.objects.filter(
                event=event, attempt_count=0, status=Delivery.PENDING
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue_attempts([(pk, 1) for pk in ids]))
    return ids


def fan_out_many(event_ids: list[int]) -> list[int]:
    """`fan_out` for a batch of events of one or more accounts, in a constant number of queries."""
    return _fan_out_locked(
        Event.objects.select_for_update(skip_locked=True)
        .filter(pk__in=event_ids, fanned_out_at__isnull=True)
        .order_by("pk")
    )


def relay_pending(*, limit: int = 500) -> int:
    """Fan out up to `limit` committed events not fanned out yet, oldest first, in one short
    transaction of a constant number of statements; returns how many. Events another relay
    is fanning out right now are skipped (SKIP LOCKED), so relays can run side by side."""
    pending = (
        Event.objects.select_for_update(skip_locked=True)
        .filter(fanned_out_at__isnull=True)
        .order_by("created_at", "pk")[:limit]
    )
    return len(set(_fan_out_locked(pending, count_events=True)))


def _fan_out_locked(events_query, *, count_events: bool = False) -> list[int]:
    with transaction.atomic():
        events = list(events_query)
        if not events:
            return []
        account_ids = {e.account_id for e in events}
        endpoints = list(WebhookEndpoint.objects.filter(account_id__in=account_ids, active=True))
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                Delivery(
                    account_id=event.account_id,
                    event=event,
                    endpoint=endpoint,
                    event_type=event.type,
                    next_attempt_at=now,
                    enqueued_at=now,
                )
                for event in events
                for endpoint in endpoints
                if endpoint.account_id == event.account_id and endpoint.wants(event.type)
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        Event.objects.filter(pk__in=[e.pk for e in events]).update(fanned_out_at=now)
        ids = list(
            Delivery.objects.filter(
                event_id__in=[e.pk for e in events], attempt_count=0, status=Delivery.PENDING
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue_attempts([(pk, 1) for pk in ids]))
    return [e.pk for e in events] if count_events else ids


# Attempts per delivery task: a worker makes them side by side on its own threads.
ATTEMPTS_PER_TASK = 50


def _enqueue_attempts(pairs: list[tuple[int, int]], countdown: float | None = None) -> None:
    from webhooks.tasks import deliver_batch

    # Network calls: never in a request (in-process: on a background thread). Not queued
    # (broker down): the sweep queues the attempts when they are due.
    for start in range(0, len(pairs), ATTEMPTS_PER_TASK):
        chunk = [list(pair) for pair in pairs[start : start + ATTEMPTS_PER_TASK]]
        tasks.enqueue(deliver_batch, (chunk,), countdown=countdown)


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
            .filter(_claimable(now), pk__in=sorted(wanted))
            .order_by("pk")
            if delivery.attempt_count + 1 in wanted[delivery.pk]
        ]
        if not deliveries:
            return []
        lease = _lease()
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            attempt_count=F("attempt_count") + 1,
            run_attempts=F("run_attempts") + 1,
            claimed_until=now + lease,
            last_attempt_at=now,
        )
        for delivery in deliveries:
            delivery.attempt_count += 1
            delivery.run_attempts += 1
            delivery.claimed_until, delivery.last_attempt_at = now + lease, now
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


def _record_many(
    claimed: list[tuple[Delivery, DeliveryAttempt]], results: list[http.HttpResult]
) -> None:
    """Record the outcomes of claimed attempts in one transaction: one UPDATE of the
    attempts, one of the deliveries (each only if still at the attempt it claimed), endpoint
    health (one UPDATE for every endpoint with a success, then each endpoint whose last
    attempt failed); soon retries are queued after it."""
    now = timezone.now()
    outcomes = [
        _outcome(delivery, record, result, now)
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
                _update_endpoint_health(pk, item.kind, item.result, now)
    for item in outcomes:
        if item.retry_countdown is not None:
            _enqueue_attempts([(item.delivery_id, item.attempt + 1)], item.retry_countdown)


# --- endpoints --------------------------------------------------------------------------------
def _validate_events(events: list[str]) -> list[str]:
    if not events:
        raise ValidationFailed('List at least one event type, or "*".', field="events")
    if "*" in events:
        return ["*"]
    unknown = [e for e in events if e not in event_types.EVENT_TYPES]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type(s): {', '.join(unknown)}. See GET /v1/webhooks/event_types.",
            field="events",
        )
    return sorted(set(events))


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def endpoint_create(*, account: Account, data: dict) -> CreatedEndpoint:
    """Register an endpoint after the SSRF check; its signing secret is returned only here."""
    url = ssrf.validate_url(data["url"])
    secret = signing.generate_secret()
    endpoint = WebhookEndpoint.objects.create(
        account=account,
        url=url,
        events=_validate_events(data.get("events") or []),
        description=data.get("description", ""),
        active=data.get("active", True),
        secret=secret,
    )
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


def endpoint_update(*, endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    """Change url/events/description/active; enabling clears the disabled reason."""
    fields = []
    if "url" in data:
        endpoint.url = ssrf.validate_url(data["url"])
        fields.append("url")
    if "events" in data:
        endpoint.events = _validate_events(data["events"])
        fields.append("events")
    if "description" in data:
        endpoint.description = data["description"]
        fields.append("description")
    if "active" in data:
        endpoint.active = data["active"]
        fields.append("active")
        if data["active"]:
            endpoint.disabled_reason, endpoint.disabled_at, endpoint.failing_since = "", None, None
            fields += ["disabled_reason", "disabled_at", "failing_since"]
    if fields:
        endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret; deliveries from now on are signed with the new one."""
    secret = signing.generate_secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    return secret


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


def endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """Send a `ping` event to this endpoint only (even if it does not subscribe to pings)."""
    if not endpoint.active:
        raise EndpointDisabled()
    with transaction.atomic():
        event = Event.objects.create(
            account_id=endpoint.account_id,
            type="ping",
            data={"webhook_id": endpoint.public_id, "url": endpoint.url},
            fanned_out_at=timezone.now(),
        )
        delivery = Delivery.objects.create(
            account_id=endpoint.account_id,
            event=event,
            endpoint=endpoint,
            event_type=event.type,
            next_attempt_at=timezone.now(),
            enqueued_at=timezone.now(),
        )
        transaction.on_commit(lambda: _enqueue_attempts([(delivery.pk, 1)]))
    return delivery


# --- attempts ---------------------------------------------------------------------------------
def request_body(event: Event) -> bytes:
    payload = {
        "id": event.public_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def _lease() -> timedelta:
    """How long a claimed attempt may take before the sweep counts its worker as dead."""
    return timedelta(
        seconds=settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS
        + settings.VECTIS_WEBHOOK_CLAIM_GRACE_SECONDS
    )


def _claim(delivery_id: int, attempt: int, now: datetime) -> DeliveryAttempt | None:
    """Take attempt number `attempt` of a due delivery (exactly one caller can) and write it
    to the log as in flight, in one transaction: an attempt that reaches the receiver is in
    the log even if this worker dies before it hears back."""
    with transaction.atomic():
        if not _take(delivery_id, attempt, now):
            return None
        # A row left in flight by an earlier worker that died with this number cannot exist:
        # the claim moved attempt_count to `attempt` just now.
        return DeliveryAttempt.objects.create(
            delivery_id=delivery_id, number=attempt, attempted_at=now
        )


def _claimable(now: datetime) -> Q:
    """Deliveries an attempt may be claimed for now: pending, due, attempts left, and not
    held by another worker (or held past its lease)."""
    return (
        Q(status=Delivery.PENDING)
        & Q(run_attempts__lt=MAX_ATTEMPTS)
        & Q(next_attempt_at__lte=now + timedelta(seconds=1))
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )


def _take(delivery_id: int, attempt: int, now: datetime) -> bool:
    lease = _lease()
    return bool(
        Delivery.objects.filter(_claimable(now), pk=delivery_id, attempt_count=attempt - 1).update(
            attempt_count=attempt,
            run_attempts=F("run_attempts") + 1,
            claimed_until=now + lease,
            last_attempt_at=now,
        )
    )


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


ENDPOINT_DISABLED = "refused: endpoint disabled"


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


def _backoff(run_attempts: int) -> timedelta:
    base = RETRY_SCHEDULE[min(run_attempts, len(RETRY_SCHEDULE)) - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (jitter, not a secret)


@dataclass
class Outcome:
    delivery_id: int
    endpoint_id: int
    attempt: int
    kind: str  # classify()
    result: http.HttpResult
    delivery_values: dict
    retry_countdown: float | None  # seconds, when the retry goes to the broker now


def _outcome(
    delivery: Delivery,
    record: DeliveryAttempt,
    result: http.HttpResult,
    now: datetime,
) -> Outcome:
    """What an attempt's result means: the attempt's fields (set on `record`), the delivery's
    next state and whether its retry is queued now."""
    kind = classify(result)
    attempt = record.number
    retry_at = None
    if kind == "success":
        status = Delivery.SUCCEEDED
    elif kind == "retry" and delivery.run_attempts < MAX_ATTEMPTS:
        status = Delivery.PENDING
        retry_at = now + _backoff(delivery.run_attempts)
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


def _update_endpoint_health(endpoint_id: int, outcome: str, result, now: datetime) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if outcome == "success":
        endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        return
    if result.error == ENDPOINT_DISABLED:
        return
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


# --- replay -----------------------------------------------------------------------------------
def _restart(deliveries) -> list[tuple[int, int]]:
    now = timezone.now()
    pairs = [(d.pk, d.attempt_count + 1) for d in deliveries]
    Delivery.objects.filter(pk__in=[pk for pk, _ in pairs]).update(
        status=Delivery.PENDING,
        run_attempts=0,
        next_attempt_at=now,
        completed_at=None,
        enqueued_at=now,
    )
    transaction.on_commit(lambda: _enqueue_attempts(pairs))
    return pairs


def delivery_redeliver(*, delivery: Delivery) -> Delivery:
    """Send a delivery again now, whatever its status, as a fresh run of retries."""
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if not locked.endpoint.active:
            raise EndpointDisabled()
        if locked.claimed_until and locked.claimed_until > timezone.now():
            raise DeliveryInProgress()
        _restart([locked])
    delivery.refresh_from_db()
    return delivery


def endpoint_recover(*, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Resend everything `endpoint` should have received since `since` and did not: deliveries
    that failed or still wait for a retry, and matching events it never got a delivery for
    (say, while it was disabled). Works in batches of short transactions."""
    endpoint.refresh_from_db()
    if not endpoint.active:
        raise EndpointDisabled()
    _create_missing_deliveries(endpoint, max(since, endpoint.created_at))
    total, last_pk = 0, 0
    while True:
        with transaction.atomic():
            now = timezone.now()
            batch = list(
                Delivery.objects.select_for_update()
                .filter(endpoint=endpoint, created_at__gte=since, pk__gt=last_pk)
                .exclude(status=Delivery.SUCCEEDED)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .order_by("pk")[:RECOVER_BATCH]
            )
            if not batch:
                return total
            _restart(batch)
        last_pk = batch[-1].pk
        total += len(batch)


def _create_missing_deliveries(endpoint: WebhookEndpoint, since: datetime) -> None:
    events = (
        Event.objects.filter(
            account_id=endpoint.account_id, created_at__gte=since, fanned_out_at__isnull=False
        )
        .exclude(type="ping")
        .exclude(deliveries__endpoint=endpoint)
    )
    if "*" not in endpoint.events:
        events = events.filter(type__in=endpoint.events)
    last_pk = 0
    while True:
        batch = list(
            events.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "type")[:RECOVER_BATCH]
        )
        if not batch:
            return
        now = timezone.now()
        Delivery.objects.bulk_create(
            [
                Delivery(
                    account_id=endpoint.account_id,
                    event_id=pk,
                    endpoint=endpoint,
                    event_type=type,
                    next_attempt_at=now,
                )
                for pk, type in batch
            ],
            ignore_conflicts=True,
        )
        last_pk = batch[-1][0]


# --- sweep ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepResult:
    events_fanned_out: int
    deliveries_queued: int


def sweep(*, batch: int = 500) -> SweepResult:
    """Fan out events the broker missed and queue deliveries whose next attempt is due."""
    now = timezone.now()
    stale_events = list(
        Event.objects.filter(fanned_out_at__isnull=True, created_at__lte=now - FANOUT_GRACE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch]
    )
    for start in range(0, len(stale_events), FANOUT_CHUNK):
        fan_out_many(stale_events[start : start + FANOUT_CHUNK])

    # Attempts whose worker died (no attempt outlives its lease: the HTTP call has a hard
    # deadline): recorded as interrupted, not lost.
    DeliveryAttempt.objects.filter(
        finished_at__isnull=True, attempted_at__lt=now - _lease()
    ).update(category=DeliveryAttempt.INTERRUPTED, error=INTERRUPTED, finished_at=now)
    # A last attempt whose worker died leaves the delivery pending with no attempts left.
    Delivery.objects.filter(
        status=Delivery.PENDING, run_attempts__gte=MAX_ATTEMPTS, claimed_until__lt=now
    ).update(status=Delivery.FAILED, completed_at=now, claimed_until=None, last_error=INTERRUPTED)

    due = Delivery.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        # Queued a while ago and not run, or run by a worker that died (its task is gone).
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=now - REQUEUE_AFTER)
        | Q(claimed_until__lt=now),
    )
    pairs = list(due.order_by("next_attempt_at").values_list("pk", "attempt_count")[: batch * 2])
    Delivery.objects.filter(pk__in=[pk for pk, _ in pairs]).update(enqueued_at=now)
    _enqueue_attempts([(pk, count + 1) for pk, count in pairs])
    return SweepResult(events_fanned_out=len(stale_events), deliveries_queued=len(pairs))
