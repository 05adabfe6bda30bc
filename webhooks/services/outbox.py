"""The outbox: events recorded in the caller's transaction, nothing queued per event."""

import json

import orjson
from celery import current_app
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from vectis import tasks
from vectis.accounts.models import Account
from vectis.db import bulk_insert
from webhooks import event_types
from webhooks.models import Event
from webhooks.services.policy import FANOUT_CHUNK


def emit(account: Account | int, type: str, data: dict) -> Event:
    """Record an event in the caller's transaction; fan-out runs only after it commits."""
    event_types.get(type)  # unknown types are a programming error
    event = Event.objects.create(account_id=_account_id(account), type=type, data=stored(data))
    _after_commit([event.pk])
    return event


def emit_many(account: Account | int, events: list[tuple[str, dict]]) -> list[Event]:
    """`emit` for many events at once (bulk writes, imports): one COPY on PostgreSQL."""
    if not events:
        return []
    for type, _ in events:
        event_types.get(type)
    account_id = _account_id(account)
    now = timezone.now()
    rows = [
        Event(account_id=account_id, type=type, data=stored(data), created_at=now)
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


def emit_events(events: list[tuple[int, str, dict]]) -> list[Event]:
    """`emit` for many (account id, type, data) events of any accounts: one INSERT."""
    if not events:
        return []
    for _, type, _ in events:
        event_types.get(type)
    rows = Event.objects.bulk_create(
        [
            Event(account_id=account_id, type=type, data=stored(data))
            for account_id, type, data in events
        ],
        batch_size=1000,
    )
    ids = [row.pk for row in rows]
    if None not in ids:  # else: a backend that cannot return ids; the sweep fans out
        _after_commit(ids)
    return rows


def stored(data: dict):
    """The payload as stored: Decimals and datetimes as the API renders them."""
    try:
        return orjson.loads(_orjson_text(data))
    except TypeError:  # an integer beyond 64 bits (see _json_text)
        return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


_ENCODER = DjangoJSONEncoder()


def _json_text(data) -> str:
    """The payload as JSON text. orjson for speed; the standard library for an integer beyond
    64 bits, which jsonb hands back for a large float it stored (1e+153 reads back as a
    154-digit integer): a product's metadata as read again, say."""
    try:
        return _orjson_text(data)
    except TypeError:
        return json.dumps(data, cls=DjangoJSONEncoder)


def _orjson_text(data) -> str:
    return orjson.dumps(
        data,
        default=_ENCODER.default,
        option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS,
    ).decode()


def _account_id(account: Account | int) -> int:
    return account if isinstance(account, int) else account.pk


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
