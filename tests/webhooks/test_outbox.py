from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.helpers import make_account
from webhooks import services, tasks
from webhooks.models import Delivery, Event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_targets")]


@pytest.fixture
def account():
    return make_account("Acme")


def _endpoint(account, url, events=("*",), active=True):
    return services.endpoint_create(
        account=account, data={"url": url, "events": list(events), "active": active}
    ).endpoint


def test_rolled_back_transaction_leaves_no_event_and_no_delivery(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    _endpoint(account, receiver.url)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.emit(account, "order.created", {"id": "ord_1"})
        raise RuntimeError("the order failed after the event was recorded")
    assert callbacks == []
    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert receiver.requests == []


def test_committed_event_goes_to_matching_endpoints_only(
    account, receiver_factory, django_capture_on_commit_callbacks
):
    receiver = receiver_factory()
    wants_all = _endpoint(account, receiver.url + "?all")
    wants_orders = _endpoint(account, receiver.url + "?orders", events=["order.created"])
    _endpoint(account, receiver.url + "?stock", events=["inventory.adjusted"])
    _endpoint(account, receiver.url + "?off", active=False)
    _endpoint(make_account("Other"), receiver.url + "?other")

    with django_capture_on_commit_callbacks(execute=True):
        event = services.emit(account, "order.created", {"id": "ord_1"})

    assert set(Delivery.objects.values_list("endpoint_id", flat=True)) == {
        wants_all.pk,
        wants_orders.pk,
    }
    assert sorted(r.path for r in receiver.requests) == ["/hook?all", "/hook?orders"]
    event.refresh_from_db()
    assert event.fanned_out_at is not None


def test_unknown_event_type_is_a_programming_error(account):
    with pytest.raises(ValueError, match="Unknown event type"):
        services.emit(account, "order.exploded", {})


def test_broker_down_at_commit_then_sweep_delivers_exactly_once(
    account, receiver_factory, django_capture_on_commit_callbacks, monkeypatch
):
    # given two endpoints and a broker that refuses the fan-out task
    receiver = receiver_factory()
    first = _endpoint(account, receiver.url + "?1")
    second = _endpoint(account, receiver.url + "?2")

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    # in-process tasks are run with apply() (vectis.tasks.enqueue)
    monkeypatch.setattr(tasks.fan_out_events, "apply", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.emit(account, "order.created", {"id": "ord_1"})
    # then the event is recorded but not fanned out
    assert Event.objects.filter(fanned_out_at__isnull=True).count() == 1
    assert Delivery.objects.count() == 0
    # and a sweep right away leaves it to its own fan-out (grace period)
    assert services.sweep().events_fanned_out == 0
    # when the sweep runs after the grace period
    Event.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep().events_fanned_out == 1
    # then exactly one delivery per endpoint, each delivered once, however often it sweeps
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep()
        services.fan_out(event.pk)
    assert sorted(Delivery.objects.values_list("endpoint_id", flat=True)) == [first.pk, second.pk]
    assert sorted(r.path for r in receiver.requests) == ["/hook?1", "/hook?2"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_fan_out_twice_creates_no_duplicates(account, receiver_factory):
    receiver = receiver_factory()
    _endpoint(account, receiver.url)
    event = Event.objects.create(account=account, type="order.created", data={})
    assert len(services.fan_out(event.pk)) == 1
    assert services.fan_out(event.pk) == []
    assert Delivery.objects.count() == 1


def test_decimal_and_datetime_payloads_are_stored_as_json(account):
    from decimal import Decimal

    event = services.emit(
        account, "order.created", {"total": Decimal("9.50"), "at": timezone.now()}
    )
    event.refresh_from_db()
    assert event.data["total"] == "9.50"
    assert isinstance(event.data["at"], str)


def test_tasks_are_acknowledged_late():
    from celery import current_app

    assert current_app.conf.task_acks_late is True
    assert current_app.conf.task_reject_on_worker_lost is True
    assert current_app.conf.worker_prefetch_multiplier == 1
    schedule = {entry["task"] for entry in current_app.conf.beat_schedule.values()}
    assert "webhooks.sweep" in schedule


def test_a_payload_with_an_integer_beyond_64_bits_is_stored(account):
    # jsonb hands a large float back as an integer (1e+153 as 154 digits): a product's
    # metadata read again for product.deleted carried one (found by the contract run: a 500)
    huge = 10**153
    event = services.emit(account, "product.deleted", {"metadata": {"n": huge, "f": 1.5}})
    event.refresh_from_db()
    assert event.data["metadata"]["f"] == 1.5
    assert int(event.data["metadata"]["n"]) == huge
    (many,) = services.emit_many(account, [("product.deleted", {"metadata": {"n": huge}})])
    many.refresh_from_db()
    assert int(many.data["metadata"]["n"]) == huge
