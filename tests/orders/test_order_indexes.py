"""The order table's indexes are the ones its queries use: each is written on every insert."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_orders_carry_only_the_indexes_their_queries_use():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes"
            " WHERE tablename = 'orders_order'"
        )
        indexes = sorted(row[0] for row in cursor.fetchall())
    assert indexes == sorted(
        [
            "btree (id)",  # primary key
            "btree (public_id)",  # unique: lookups by id in every /v1/orders/{id} call
            "btree (account_id, channel, external_id)",  # unique: duplicate detection
            "btree (account_id, status)",  # ?status= and the allocation sweeps
            "btree (account_id, created_at, id)",  # the default sort and its cursors
            "btree (account_id, updated_at, id)",  # sort=updated_at (sync), updated_after
            "btree (created_at)",  # the admin's newest-first list across accounts
            "btree (allocation_due_at) WHERE (allocation_due_at IS NOT NULL)",  # the sweep
        ]
    )
