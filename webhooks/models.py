from django.db import models
from django.db.models import Q

from vectis.db import EncryptedTextField, PublicIdField, TimestampedModel


class Event(models.Model):
    """Outbox row: written in the transaction of the change it reports."""

    public_id = PublicIdField(prefix="evt")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once the event has been matched to endpoints (Delivery rows exist); NULL rows are
    # what the sweep picks up when the broker missed the after-commit fan-out.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="event_account_created"),
            models.Index(fields=["account", "type", "created_at"], name="event_account_type"),
            models.Index(
                fields=["created_at"],
                condition=Q(fanned_out_at__isnull=True),
                name="event_pending_fanout",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class EndpointManager(models.Manager):
    """Endpoints are read without their secret: it is decrypted only where a delivery is
    signed, so one secret no key can read fails that delivery alone, not every query."""

    def get_queryset(self):
        return super().get_queryset().defer("secret")


class WebhookEndpoint(TimestampedModel):
    public_id = PublicIdField(prefix="whk")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=2048)
    events = models.JSONField(default=list, help_text='Event types, or ["*"] for all.')
    description = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    # The signing secret, encrypted at rest (see vectis/crypto.py).
    secret = EncryptedTextField()
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed attempts; cleared by any success.
    failing_since = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    objects = EndpointManager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["account", "active"], name="endpoint_account_active")]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"{self.public_id} {self.url}"

    def wants(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class Delivery(models.Model):
    """One event to one endpoint, with its retry state."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATUSES = [(PENDING, "Pending"), (SUCCEEDED, "Succeeded"), (FAILED, "Failed")]

    public_id = PublicIdField(prefix="dlv")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # Attempts since the delivery was (re)started; drives the backoff schedule.
    run_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While an attempt is in flight; a crashed worker's claim expires and the sweep retries.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a task for the next attempt was last queued (the sweep does not queue it again soon).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="uniq_delivery_event_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "status", "created_at"], name="delivery_endpoint_status"
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"

    @classmethod
    def due(
        cls, *, account_id: int, event_id: int, endpoint, event_type: str, now, queued=True
    ) -> "Delivery":
        """A new delivery of an event to an endpoint, due now; `queued` when its first attempt
        is queued with it (else the sweep, or the restart that follows, queues it)."""
        return cls(
            account_id=account_id,
            event_id=event_id,
            endpoint=endpoint,
            event_type=event_type,
            next_attempt_at=now,
            enqueued_at=now if queued else None,
        )


class DeliveryAttempt(models.Model):
    """One POST to a receiver. Written before the request is sent (in flight), completed after;
    an attempt whose worker died stays in the log as `interrupted` (it may have arrived)."""

    IN_FLIGHT = "in_flight"
    INTERRUPTED = "interrupted"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    # "" (success), in_flight, interrupted, or a failure category of webhooks.http.
    # db_default too: workers of the previous release insert attempts without this column.
    category = models.CharField(max_length=16, blank=True, default=IN_FLIGHT, db_default=IN_FLIGHT)
    error = models.CharField(max_length=500, blank=True)
    response_body = models.TextField(blank=True)  # first 2 kB
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="uniq_attempt_number")
        ]
        indexes = [
            # The sweep looks for attempts left in flight by a worker that died.
            models.Index(
                fields=["attempted_at"],
                condition=Q(finished_at__isnull=True),
                name="attempt_in_flight",
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.status_code or self.error}"
