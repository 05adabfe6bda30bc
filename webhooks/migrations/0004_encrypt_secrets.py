from django.db import migrations

import vectis.db


def encrypt_existing(apps, schema_editor):
    """Secrets stored in plaintext before this migration are saved again, which encrypts them."""
    WebhookEndpoint = apps.get_model("webhooks", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.only("pk", "secret").iterator():
        endpoint.save(update_fields=["secret"])


def decrypt_back(apps, schema_editor):
    """Going back: plaintext again, before the column shrinks to 100 characters (ciphertexts
    would be cut and lost)."""
    from vectis import crypto

    table = apps.get_model("webhooks", "WebhookEndpoint")._meta.db_table
    quoted = schema_editor.quote_name(table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret FROM {quoted}")  # noqa: S608 (a model's table)
        rows = cursor.fetchall()
        for pk, stored in rows:
            cursor.execute(
                f"UPDATE {quoted} SET secret = %s WHERE id = %s",  # noqa: S608
                [crypto.decrypt(stored), pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0003_attempt_in_flight"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=vectis.db.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_existing, decrypt_back),
        migrations.AlterModelOptions(
            name="webhookendpoint",
            options={"base_manager_name": "objects", "ordering": ["created_at", "id"]},
        ),
    ]
