import hashlib
import hmac
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.helpers import make_account
from tests.webhooks.receiver import Reply
from webhooks import services, signing
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_targets")]


@pytest.fixture
def account():
    return make_account("Acme")


def _endpoint(account, url, events=("*",)):
    return services.endpoint_create(account=account, data={"url": url, "events": list(events)})


def _emit(account, django_capture_on_commit_callbacks, type="order.created", data=None):
    with django_capture_on_commit_callbacks(execute=True):
        return services.emit(account, type, data or {"id": "ord_1", "status": "pending"})


def _make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def verify_like_the_reference(payload: bytes, signature: str, secret: str) -> bool:
    """The reference's verifyWebhook: hex HMAC-SHA256 of the raw payload, timing-safe compare."""
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(signature.encode(), expected.encode())


def test_secret_format():
    secret = signing.generate_secret()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
    import base64

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32


def test_delivery_is_signed_both_ways(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    # given an endpoint on a local receiver
    receiver = receiver_factory()
    created = _endpoint(account, receiver.url)
    # when an event is emitted and committed
    event = _emit(
        account, django_capture_on_commit_callbacks, data={"id": "ord_1", "total": "9.50"}
    )
    # then the receiver got one POST whose signatures verify
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    body = json.loads(got.body)
    assert body == {
        "id": event.public_id,
        "type": "order.created",
        "created_at": body["created_at"],
        "data": {"id": "ord_1", "total": "9.50"},
    }
    assert body["created_at"].endswith("Z")
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["x-vectis-event"] == "order.created"
    assert headers["x-vectis-delivery"].startswith("dlv_")
    assert headers["webhook-id"] == event.public_id
    assert headers["x-vectis-timestamp"] == headers["webhook-timestamp"]
    assert verify_like_the_reference(got.body, headers["x-vectis-signature"], created.secret)
    assert Webhook(created.secret).verify(got.body, headers) == body
    # and tampering with body, id or timestamp breaks verification
    tampered_body = got.body.replace(b"9.50", b"0.01")
    assert not verify_like_the_reference(
        tampered_body, headers["x-vectis-signature"], created.secret
    )
    assert not verify_like_the_reference(got.body, headers["x-vectis-signature"], "whsec_other")
    for changed in (
        (tampered_body, headers),
        (got.body, {**headers, "webhook-id": "evt_forged"}),
        (got.body, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 1)}),
    ):
        with pytest.raises(WebhookVerificationError):
            Webhook(created.secret).verify(*changed)


def test_500_twice_then_200_is_delivered_on_attempt_3(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(Reply(500), Reply(503), Reply(200))
    _endpoint(account, receiver.url)
    event = _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("pending", 1)
    assert delivery.next_attempt_at > timezone.now()  # backoff scheduled
    for _ in range(2):
        _make_due(delivery)
        services.sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == (
        "succeeded",
        3,
        200,
    )
    attempts = list(delivery.attempts.values_list("number", "status_code"))
    assert attempts == [(1, 500), (2, 503), (3, 200)]
    assert len(receiver.requests) == 3
    # the same event id on every retry
    assert {r.headers["webhook-id"] for r in receiver.requests} == {event.public_id}
    # and nothing more is sent
    services.sweep()
    assert len(receiver.requests) == 3


def test_backoff_schedule_spans_about_three_days():
    total = sum(services.RETRY_SCHEDULE, timedelta())
    assert timedelta(days=2.5) < total < timedelta(days=3.5)
    assert sorted(services.RETRY_SCHEDULE) == services.RETRY_SCHEDULE


def test_400_is_final_without_retry(account, receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory(Reply(400, b"bad payload"))
    endpoint = _endpoint(account, receiver.url).endpoint
    _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (
        "failed",
        1,
        None,
    )
    assert delivery.attempts.get().response_body == "bad payload"
    services.sweep()
    assert len(receiver.requests) == 1
    endpoint.refresh_from_db()
    assert endpoint.active is True


def test_429_is_retried(account, receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory(Reply(429))
    _emit_and_assert_retry(account, receiver, django_capture_on_commit_callbacks)


def test_connection_refused_is_retried(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(listen=False)
    _emit_and_assert_retry(account, receiver, django_capture_on_commit_callbacks)
    assert "connection" in Delivery.objects.get().last_error


def _emit_and_assert_retry(account, receiver, capture):
    _endpoint(account, receiver.url)
    _emit(account, capture)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.next_attempt_at is not None


def test_410_disables_the_endpoint(account, receiver_factory, django_capture_on_commit_callbacks):
    receiver = receiver_factory(Reply(410))
    endpoint = _endpoint(account, receiver.url).endpoint
    _emit(account, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "410" in endpoint.disabled_reason
    assert Delivery.objects.get().status == "failed"
    # later events are not delivered to it
    _emit(account, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    assert Delivery.objects.count() == 1


def test_hanging_receiver_fails_at_the_timeout(
    account, receiver_factory, django_capture_on_commit_callbacks, settings
):
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver = receiver_factory(Reply(200, hang_seconds=3))
    _endpoint(account, receiver.url)
    _emit(account, django_capture_on_commit_callbacks)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("timeout")
    assert 500 <= attempt.duration_ms < 2500
    assert Delivery.objects.get().status == "pending"  # retried later


def test_redirect_is_not_followed_and_is_final(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    canary = receiver_factory()
    redirector = receiver_factory(Reply(302, headers={"Location": canary.url}))
    _endpoint(account, redirector.url)
    _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("failed", 302)
    assert canary.connections == 0


def test_response_body_is_kept_to_2_kb(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(Reply(200, b"x" * 10_000))
    _endpoint(account, receiver.url)
    _emit(account, django_capture_on_commit_callbacks)
    assert len(DeliveryAttempt.objects.get().response_body) == 2048
    assert len(receiver.requests) == 1


def test_a_repeated_task_never_repeats_or_double_counts_an_attempt(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    # given a delivery whose first attempt ran
    receiver = receiver_factory(Reply(500), Reply(200))
    _endpoint(account, receiver.url)
    _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    # when the broker redelivers the task for attempt 1, even once the retry is due
    _make_due(delivery)
    assert services.attempt_delivery(delivery.pk, 1) is None
    # then nothing is sent and nothing counted; attempt 2 runs exactly once
    assert len(receiver.requests) == 1
    assert services.attempt_delivery(delivery.pk, 2) is not None
    assert services.attempt_delivery(delivery.pk, 2) is None
    delivery.refresh_from_db()
    assert (delivery.attempt_count, delivery.status) == (2, "succeeded")
    assert DeliveryAttempt.objects.count() == 2
    assert len(receiver.requests) == 2


def test_endpoint_failing_for_three_days_is_disabled(
    account, receiver_factory, django_capture_on_commit_callbacks, settings
):
    receiver = receiver_factory(default=Reply(500))
    endpoint = _endpoint(account, receiver.url).endpoint
    _emit(account, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.active is True and endpoint.failing_since is not None
    # when its failures have gone on for longer than the limit
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now()
        - timedelta(seconds=settings.VECTIS_WEBHOOK_DISABLE_AFTER_SECONDS + 60)
    )
    _make_due(Delivery.objects.get())
    services.sweep()
    # then it is disabled with a reason
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "3 days" in endpoint.disabled_reason
    assert len(receiver.requests) == 2
    # and its pending delivery then fails without another request
    _make_due(Delivery.objects.get())
    services.sweep()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("failed", "refused: endpoint disabled")
    assert len(receiver.requests) == 2


def test_success_resets_failing_since(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(Reply(500), Reply(200))
    endpoint = _endpoint(account, receiver.url).endpoint
    _emit(account, django_capture_on_commit_callbacks)
    _make_due(Delivery.objects.get())
    services.sweep()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_retries_stop_after_the_last_scheduled_attempt(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(default=Reply(503))
    _endpoint(account, receiver.url)
    _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    for _ in range(services.MAX_ATTEMPTS + 2):
        _make_due(delivery)
        services.sweep()
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempt_count == services.MAX_ATTEMPTS
    assert len(receiver.requests) == services.MAX_ATTEMPTS


def test_a_trickling_receiver_is_cut_off_at_the_deadline(
    account, receiver_factory, django_capture_on_commit_callbacks, settings
):
    # given a receiver that answers one byte every 0.2 s (about 10 s in all)
    settings.VECTIS_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver = receiver_factory(Reply(200, trickle_seconds=0.2))
    _endpoint(account, receiver.url)
    _emit(account, django_capture_on_commit_callbacks)
    # then the attempt ends at the deadline, not when the receiver finishes
    attempt = DeliveryAttempt.objects.get()
    assert attempt.error.startswith("timeout"), attempt.error
    assert attempt.duration_ms < 2000
    assert Delivery.objects.get().status == "pending"


def test_an_unexpected_error_is_recorded_and_retries_stay_bounded(
    account, receiver_factory, django_capture_on_commit_callbacks, monkeypatch
):
    receiver = receiver_factory()
    _endpoint(account, receiver.url)

    def broken(**kwargs):
        raise RuntimeError("bug while signing")

    monkeypatch.setattr(signing, "headers", broken)
    _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    attempt = delivery.attempts.get()
    assert attempt.error == "internal error: RuntimeError"
    assert delivery.status == "pending"
    for _ in range(services.MAX_ATTEMPTS + 3):
        _make_due(delivery)
        services.sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("failed", services.MAX_ATTEMPTS)
    assert delivery.attempts.count() == services.MAX_ATTEMPTS
    assert receiver.requests == []


def test_nul_bytes_in_the_answer_are_stored(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory(Reply(200, b"ok\x00done"))
    _endpoint(account, receiver.url)
    _emit(account, django_capture_on_commit_callbacks)
    assert DeliveryAttempt.objects.get().response_body == "ok\ufffddone"


def test_a_failure_after_a_quiet_spell_starts_a_new_run(
    account, receiver_factory, django_capture_on_commit_callbacks, settings
):
    # given one failure four days ago and nothing since
    receiver = receiver_factory(default=Reply(500))
    endpoint = _endpoint(account, receiver.url).endpoint
    long_ago = timezone.now() - timedelta(days=4)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=long_ago, last_failure_at=long_ago
    )
    # when a new attempt fails
    _emit(account, django_capture_on_commit_callbacks)
    # then the endpoint stays enabled and its failing run starts now
    endpoint.refresh_from_db()
    assert endpoint.active is True
    assert endpoint.failing_since > timezone.now() - timedelta(minutes=1)


def test_plain_http_is_refused_at_delivery_once_no_longer_allowed(
    account, receiver_factory, django_capture_on_commit_callbacks, settings
):
    receiver = receiver_factory()
    _endpoint(account, receiver.url)  # registered while http was allowed
    settings.VECTIS_WEBHOOK_ALLOW_HTTP = False
    _emit(account, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("refused: http")
    assert receiver.connections == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_make_an_attempt_once(receiver_factory, close_db_in_threads):
    import threading

    from django.db import connection

    account = make_account("Race")
    receiver = receiver_factory()
    _endpoint(account, receiver.url)
    event = Event.objects.create(
        account=account, type="order.created", data={}, fanned_out_at=timezone.now()
    )
    delivery = Delivery.objects.create(
        account=account,
        event=event,
        endpoint=WebhookEndpoint.objects.get(),
        event_type=event.type,
        next_attempt_at=timezone.now(),
    )
    barrier = threading.Barrier(8)
    made = []

    def worker():
        try:
            barrier.wait()
            made.append(services.attempt_delivery(delivery.pk, 1) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made.count(True) == 1
    assert len(receiver.requests) == 1
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1
