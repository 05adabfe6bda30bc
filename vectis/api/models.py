from django.db import models


class IdempotencyKey(models.Model):
    """A POST's `Idempotency-Key`, its request fingerprint and, once done, its response."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    STATUSES = [(IN_PROGRESS, "In progress"), (COMPLETED, "Completed")]

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.TextField()
    status = models.CharField(max_length=20, choices=STATUSES, default=IN_PROGRESS)
    locked_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="uniq_idempotency_account_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
