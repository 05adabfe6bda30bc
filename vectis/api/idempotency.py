"""Idempotency keys for POST: the first request runs, repeats get its stored response.

Claiming a key is an INSERT against a unique (account, key) constraint, committed at once, so
of many concurrent requests exactly one runs; the others see its row and replay (done) or get
409 (still running). A different request under the same key is 422.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from vectis import safejson
from vectis.api.models import IdempotencyKey
from vectis.batches import DELETE_BATCH, delete_in_batches
from vectis.errors import Conflict, DomainError, ValidationFailed

MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"
# Errors that say "try again" must not be frozen into the key.
_TRANSIENT_CODES = {"conflict_retry", "idempotency_in_progress", "rate_limited"}


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used with a different request."


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_message = "A request with this Idempotency-Key is still being processed; retry later."


@dataclass
class Claim:
    record: IdempotencyKey | None = None  # ours to run and complete
    replay: IdempotencyKey | None = None  # done before: answer with its response


def validate_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise ValidationFailed("Idempotency-Key must not be empty.", field="Idempotency-Key")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.",
            field="Idempotency-Key",
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of method, path with query and body; JSON bodies are compared by content."""
    try:
        canonical = json.dumps(safejson.loads(body), sort_keys=True, separators=(",", ":"))
        canonical = canonical.encode()
    except ValueError:  # not JSON, too deep, or not UTF-8: compare the bytes
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def claim(*, account, key: str, method: str, path: str, body: bytes) -> Claim:
    """Claim `key` for this request, or say how to answer a repeat."""
    fp = fingerprint(method, path, body)
    for _ in range(5):
        now = timezone.now()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    account=account,
                    key=key,
                    fingerprint=fp,
                    method=method,
                    path=path,
                    locked_at=now,
                    expires_at=now + timedelta(seconds=settings.VECTIS_IDEMPOTENCY_TTL_SECONDS),
                )
            return Claim(record=record)
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(account=account, key=key).first()
        if existing is None:
            continue  # removed meanwhile (expired or failed request): claim again
        if existing.expires_at <= now:
            IdempotencyKey.objects.filter(pk=existing.pk, expires_at__lte=now).delete()
            continue
        if existing.fingerprint != fp:
            raise IdempotencyKeyReused()
        if existing.status == IdempotencyKey.COMPLETED:
            return Claim(replay=existing)
        stale = now - timedelta(seconds=settings.VECTIS_IDEMPOTENCY_LOCK_SECONDS)
        if existing.locked_at < stale:
            # The request holding it died; take it over (only one taker wins the UPDATE).
            taken = IdempotencyKey.objects.filter(
                pk=existing.pk, status=IdempotencyKey.IN_PROGRESS, locked_at=existing.locked_at
            ).update(locked_at=now)
            if taken:
                existing.locked_at = now
                return Claim(record=existing)
        raise IdempotencyInProgress()
    raise IdempotencyInProgress()


def complete(record: IdempotencyKey, response, error_code: str | None) -> None:
    """Store the response under the key, or free the key when the outcome was transient."""
    ours = IdempotencyKey.objects.filter(
        pk=record.pk, status=IdempotencyKey.IN_PROGRESS, locked_at=record.locked_at
    )
    if response.status_code >= 500 or error_code in _TRANSIENT_CODES:
        ours.delete()
        return
    headers = {h: response[h] for h in ("Content-Type", "Location") if h in response}
    ours.update(
        status=IdempotencyKey.COMPLETED,
        response_status=response.status_code,
        response_body=bytes(response.content),
        response_headers=headers,
    )


def replay_response(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body or b""), status=record.response_status)
    for name, value in (record.response_headers or {}).items():
        response[name] = value
    response[REPLAY_HEADER] = "true"
    return response


def purge_expired(
    *,
    dry_run: bool = False,
    batch: int = DELETE_BATCH,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Delete the keys past their lifetime, a batch per transaction. Returns how many were (or,
    with `dry_run`, would be) deleted."""
    expired = IdempotencyKey.objects.filter(expires_at__lte=timezone.now())
    if dry_run:
        return expired.count()
    return delete_in_batches(expired, batch=batch, progress=progress)
