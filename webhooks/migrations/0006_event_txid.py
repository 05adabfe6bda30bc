"""Each event remembers the transaction that wrote it (PostgreSQL), so that the events feed can
hand off from a snapshot without a gap: GET /v1/events/sync returns exactly the events of the
transactions a snapshot did not see (webhooks/sync.py). The column is filled by its default and
is not a model field; SQLite, whose writers are serialized, needs none."""

from django.db import migrations

ADD = [
    "ALTER TABLE webhooks_event ADD COLUMN txid xid8 DEFAULT pg_current_xact_id()",
    # without blocking the writes of every service (they all emit events) while it builds
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS event_account_txid ON webhooks_event (account_id, txid)",
]
DROP = [
    "DROP INDEX CONCURRENTLY IF EXISTS event_account_txid",
    "ALTER TABLE webhooks_event DROP COLUMN IF EXISTS txid",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in ADD:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("webhooks", "0005_plural_names"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
