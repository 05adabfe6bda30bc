"""Counting the SQL statements a piece of code sends, BEGIN and COMMIT included.

Django does not send BEGIN itself (the driver opens a transaction with the first statement
after autocommit is switched off) and commits through the connection, so both are counted
from commits and rollbacks: one BEGIN and one COMMIT (or ROLLBACK) per transaction. Needs a
test that really commits: `django_db(transaction=True)`.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.db import connection


@dataclass
class Statements:
    sql: list[str] = field(default_factory=list)
    transactions: int = 0

    @property
    def count(self) -> int:
        return len(self.sql) + 2 * self.transactions

    def __str__(self) -> str:
        return f"{self.count} statements ({self.transactions} transactions):\n" + "\n".join(
            s[:160] for s in self.sql
        )


@contextmanager
def count_statements():
    seen = Statements()

    def record(execute, sql, params, many, context):
        # SQLite's backend sends BEGIN IMMEDIATE itself: counted with its transaction.
        if not sql.lstrip().upper().startswith("BEGIN"):
            seen.sql.append(sql)
        return execute(sql, params, many, context)

    real_commit, real_rollback = connection._commit, connection._rollback

    def commit():
        seen.transactions += 1
        return real_commit()

    def rollback():
        seen.transactions += 1
        return real_rollback()

    with (
        connection.execute_wrapper(record),
        mock.patch.object(connection, "_commit", commit),
        mock.patch.object(connection, "_rollback", rollback),
    ):
        yield seen
