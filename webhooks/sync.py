"""Sync tokens: following the events feed from a consistent moment without a gap.

Event ids are handed out when a transaction writes its event, not when it commits, so a
reader that asks for "ids after the last one I saw" misses the event of a transaction that
began before and committed after its read. A sync token names a set of transactions instead:

- On PostgreSQL it holds a snapshot (`pg_current_snapshot()`): the transactions whose work a
  read saw. Each event stores the id of the transaction that wrote it (`txid`, migration 0006),
  and the events after a token are exactly those of transactions the snapshot did not see.
  Each call fixes a second snapshot, so a window `(since, until]` is a set that never changes
  once fixed: it is paged by event id, and when it is exhausted `until` becomes the next `since`.
- On SQLite (the embedded default) writers are serialized, so commit order is id order and the
  token is the last event id.

A token taken in the same read as a stock snapshot (`GET /v1/inventory/snapshot`) therefore
hands the reader every later change exactly once. Tokens are opaque (encrypted with
`VECTIS_ENCRYPTION_KEYS`) and carry no account: the feed is filtered by the caller's account.
"""

import json
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import connection

from vectis import crypto
from vectis.errors import ValidationFailed
from webhooks.models import Event

VERSION = 1


@dataclass(frozen=True)
class Position:
    since: str | int  # a snapshot (PostgreSQL) or an event id (SQLite)
    until: str | None = None  # the window being paged (PostgreSQL)
    after: int = 0  # the last event id returned from that window

    def token(self) -> str:
        payload = json.dumps([VERSION, self.since, self.until, self.after], separators=(",", ":"))
        return crypto.fernet().encrypt(payload.encode()).decode()


def _expired(field: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field} {why}; take a new snapshot (GET /v1/inventory/snapshot) or start from now.",
        field=field,
        code="token_expired",
    )


def _snapshots() -> bool:
    return connection.vendor == "postgresql"


def now() -> Position:
    """The position of the caller's read: in the same transaction as the rows it read (or the
    same statement under READ COMMITTED), it sees exactly the changes those rows reflect."""
    with connection.cursor() as cursor:
        if _snapshots():
            cursor.execute("SELECT pg_current_snapshot()::text")
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Event._meta.db_table}")  # noqa: S608
        return Position(since=cursor.fetchone()[0])


def parse(token: str, field: str = "token") -> Position:
    """The position a token names. Refused: a token this server did not issue; one older than
    the events kept (VECTIS_RETENTION_EVENTS_DAYS: events it has not seen may be pruned); one
    ahead of this database (issued before a restore: its transaction ids are not this
    database's)."""
    max_age = settings.VECTIS_RETENTION_EVENTS_DAYS * 86400
    try:
        raw = crypto.fernet().decrypt(token.encode(), ttl=max_age)
        version, since, until, after = json.loads(raw)
    except InvalidToken:
        if _issued_here(token):
            raise _expired(field, "is older than the events kept") from None
        raise ValidationFailed(
            f"{field} is not one this server issued; send meta.next_token as it came.",
            field=field,
            code="invalid_token",
        ) from None
    except (ValueError, TypeError):
        raise ValidationFailed(
            f"{field} is not one this server issued; send meta.next_token as it came.",
            field=field,
            code="invalid_token",
        ) from None
    if version != VERSION or isinstance(since, str) != _snapshots():
        # made by another version, or on the other kind of database (a copied token)
        raise _expired(field, "is no longer valid")
    if _ahead(since):
        raise _expired(field, "names transactions this database has not had (a restore?)")
    return Position(since=since, until=until, after=after)


def _issued_here(token: str) -> bool:
    try:
        crypto.fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def _ahead(since: str | int) -> bool:
    with connection.cursor() as cursor:
        if _snapshots():
            # xmax only grows on one cluster: a token's above today's came from elsewhere
            cursor.execute(
                "SELECT pg_snapshot_xmax(%s::pg_snapshot)"
                " > pg_snapshot_xmax(pg_current_snapshot())",
                [since],
            )
        else:
            # the highest event id ever handed out (AUTOINCREMENT), pruned rows included
            cursor.execute(
                "SELECT %s > COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)",
                [since, Event._meta.db_table],
            )
        return bool(cursor.fetchone()[0])


def events_after(queryset, position: Position, limit: int) -> tuple[list[Event], Position, bool]:
    """(up to `limit` events of `queryset` after `position` in id order, the position after
    them, whether more are waiting)."""
    if not _snapshots():
        rows = list(queryset.filter(pk__gt=position.since).order_by("pk")[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, Position(since=rows[-1].pk if rows else position.since), more
    until = position.until or now().since
    table = connection.ops.quote_name(Event._meta.db_table)
    window = queryset.extra(  # noqa: S610 (the table name from the model, values bound)
        where=[
            # txid >= xmin lets the index on (account_id, txid) start at the window
            f"{table}.txid >= pg_snapshot_xmin(%s::pg_snapshot)",
            f"NOT pg_visible_in_snapshot({table}.txid, %s::pg_snapshot)",
            f"pg_visible_in_snapshot({table}.txid, %s::pg_snapshot)",
        ],
        params=[position.since, position.since, until],
    )
    rows = list(window.filter(pk__gt=position.after).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if more:
        return rows, Position(since=position.since, until=until, after=rows[-1].pk), True
    return rows, Position(since=until), False
