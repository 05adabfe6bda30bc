"""The webhook migrations of this release, forward over existing data and back again."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.helpers import make_account

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("webhooks", "0002_endpoint_last_failure_at")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes("webhooks")


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_old_attempts_get_categories_and_secrets_are_encrypted_then_restored():
    account = make_account("Acme")
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO webhooks_webhookendpoint (public_id, account_id, url, events,"
                " description, active, secret, disabled_reason, created_at, updated_at)"
                " VALUES ('whk_1', %s, 'https://a.example/', '[\"*\"]', '', true,"
                " 'whsec_plain', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id",
                [account.pk],
            )
            endpoint = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO webhooks_event (public_id, account_id, type, data, created_at)"
                " VALUES ('evt_1', %s, 'order.created', '{}', CURRENT_TIMESTAMP) RETURNING id",
                [account.pk],
            )
            event = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO webhooks_delivery (public_id, account_id, event_id, endpoint_id,"
                " event_type, status, attempt_count, run_attempts, last_error, created_at)"
                " VALUES ('dlv_1', %s, %s, %s, 'order.created', 'failed', 4, 4,"
                " 'connection: ConnectionRefusedError: [Errno 111] 10.0.0.5', CURRENT_TIMESTAMP)"
                " RETURNING id",
                [account.pk, event, endpoint],
            )
            delivery = cursor.fetchone()[0]
            for number, code, error in [
                (1, 200, ""),
                (2, 503, ""),
                (3, None, "timeout after 10s"),
                (4, None, "connection: ConnectionRefusedError: [Errno 111] 10.0.0.5"),
            ]:
                cursor.execute(
                    "INSERT INTO webhooks_deliveryattempt (delivery_id, number, attempted_at,"
                    " status_code, duration_ms, error, response_body)"
                    " VALUES (%s, %s, CURRENT_TIMESTAMP, %s, 5, %s, '')",
                    [delivery, number, code, error],
                )
        # when the release's migrations run
        migrate(latest())
        attempts = rows(
            "SELECT number, category, error, finished_at IS NOT NULL"
            " FROM webhooks_deliveryattempt ORDER BY number"
        )
        assert attempts == [
            (1, "", "", True),
            (2, "http_status", "http_status: 503", True),
            (3, "timeout", "timeout: no complete answer within the time limit", True),
            (4, "refused", "refused: no connection could be made to the receiver", True),
        ]
        assert rows("SELECT last_error FROM webhooks_delivery") == [
            ("refused: no connection could be made to the receiver",)
        ]
        (stored,) = rows("SELECT secret FROM webhooks_webhookendpoint")[0]
        assert stored.startswith("fernet:") and "whsec_plain" not in stored
        from webhooks.models import WebhookEndpoint

        assert WebhookEndpoint.objects.get().secret == "whsec_plain"

        # when they are rolled back, then the secret is plaintext again, not cut off
        migrate(BEFORE)
        assert rows("SELECT secret FROM webhooks_webhookendpoint") == [("whsec_plain",)]
    finally:
        migrate(latest())
