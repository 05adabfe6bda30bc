from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Concat


def complete_old_attempts(apps, schema_editor):
    """Attempts recorded before this migration were complete: give them a category and the
    coarse message of it (old messages named addresses and socket errors). Set-based: a few
    UPDATEs, whatever the size of the log."""
    # The texts of webhooks.http at the time of this migration.
    messages = {
        "dns": "dns: the host name could not be resolved",
        "refused": "refused: no connection could be made to the receiver",
        "timeout": "timeout: no complete answer within the time limit",
        "tls": "tls: the TLS handshake or the certificate check failed",
        "internal": "internal: the attempt failed inside Vectis",
    }
    blocked = "refused: the target address is not allowed"
    Attempt = apps.get_model("webhooks", "DeliveryAttempt")
    old = Attempt.objects.filter(finished_at__isnull=True)
    old.filter(status_code__gte=200, status_code__lt=300).update(
        category="", error="", finished_at=models.F("attempted_at")
    )
    old.filter(status_code__isnull=False).update(
        category="http_status",
        error=Concat(models.Value("http_status: "), models.F("status_code"), output_field=models.CharField()),
        finished_at=models.F("attempted_at"),
    )
    for category in ("timeout", "tls", "dns", "internal"):
        old.filter(status_code__isnull=True, error__startswith=category).update(
            category=category, error=messages[category], finished_at=models.F("attempted_at")
        )
    refused = old.filter(status_code__isnull=True)
    refused.filter(Q(error__startswith="refused") & ~Q(error__contains="connection")).update(
        category="refused", error=blocked, finished_at=models.F("attempted_at")
    )
    refused.update(category="refused", error=messages["refused"], finished_at=models.F("attempted_at"))
    Delivery = apps.get_model("webhooks", "Delivery")
    last = Attempt.objects.filter(delivery=OuterRef("pk")).order_by("-number").values("error")[:1]
    Delivery.objects.exclude(last_error="").update(last_error=Subquery(last))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0002_endpoint_last_failure_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryattempt",
            name="category",
            field=models.CharField(
                blank=True, db_default="in_flight", default="in_flight", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="deliveryattempt",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="deliveryattempt",
            name="duration_ms",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(complete_old_attempts, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="deliveryattempt",
            index=models.Index(
                condition=models.Q(("finished_at__isnull", True)),
                fields=["attempted_at"],
                name="attempt_in_flight",
            ),
        ),
    ]
