"""Bounded retries of transactions that lost a deadlock or serialization race."""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection, transaction

from vectis.errors import ConflictRetry

logger = logging.getLogger("vectis.db")
T = TypeVar("T")

# SQLSTATEs that mean "run the same transaction again and it will probably succeed".
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def is_retryable_db_error(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc).lower()


def atomic_with_retry(fn: Callable[..., T] | None = None, *, attempts: int = 4):
    """Run `fn` in its own transaction, retrying deadlocks; give up with ConflictRetry (409).

    Only the outermost transaction can be retried: inside an enclosing atomic block the
    error propagates so that the outer owner decides.
    """

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args, **kwargs) -> T:
            if connection.in_atomic_block:
                with transaction.atomic():
                    return func(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic():
                        return func(*args, **kwargs)
                except DatabaseError as exc:
                    if not is_retryable_db_error(exc):
                        raise
                    logger.info("retrying %s after %s (attempt %d)", func.__name__, exc, attempt)
                    if attempt == attempts:
                        raise ConflictRetry() from exc
                    time.sleep(random.uniform(0.005, 0.03) * attempt)  # noqa: S311 (jitter, not a secret)
            raise AssertionError("unreachable")

        return wrapper

    return decorate(fn) if fn is not None else decorate
