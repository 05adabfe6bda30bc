from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from tests.commands.helpers import run
from tests.factories import undelivered
from webhooks import services
from webhooks.models import Delivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def endpoint(account) -> WebhookEndpoint:
    created = services.endpoint_create(
        account=account, data={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    )
    return created.endpoint


@pytest.fixture
def deliveries(local_targets, account, other_account, monkeypatch):
    """Acme's endpoint: of five events, one delivery succeeded, one failed, one waits for a
    retry, one event got no delivery, and one delivery failed two days ago. Globex's endpoint
    is disabled and has a failed delivery."""
    acme, globex = endpoint(account), endpoint(other_account)
    pks = [pk for pk, _ in undelivered(account, 5, monkeypatch)]
    later = timezone.now() + timedelta(hours=1)
    Delivery.objects.filter(pk=pks[0]).update(status="succeeded", completed_at=timezone.now())
    Delivery.objects.filter(pk=pks[1]).update(status="failed", completed_at=timezone.now())
    Delivery.objects.filter(pk=pks[2]).update(run_attempts=3, next_attempt_at=later)
    Delivery.objects.filter(pk=pks[3]).delete()
    Delivery.objects.filter(pk=pks[4]).update(
        status="failed", created_at=timezone.now() - timedelta(days=2)
    )
    [(theirs, _)] = undelivered(other_account, 1, monkeypatch)
    Delivery.objects.filter(pk=theirs).update(status="failed")
    WebhookEndpoint.objects.filter(pk=globex.pk).update(
        active=False, disabled_reason="failing for 3 days"
    )
    return acme, globex, pks


def state() -> list[tuple[str, int]]:
    return list(Delivery.objects.order_by("pk").values_list("status", "run_attempts"))


def test_what_has_not_arrived_in_the_last_day_is_sent_again(deliveries):
    acme, globex, pks = deliveries
    ran = run("retry_webhooks")
    assert ran.lines[0] == f"{acme.public_id} (Acme): requeued 3"
    assert ran.lines[1] == f"{globex.public_id} (Globex) is disabled: failing for 3 days: skipped"
    assert ran.lines[2].startswith("requeued 3 delivery(ies) since ")
    assert ran.lines[2].endswith("to 1 endpoint(s); 1 disabled endpoint(s) skipped")
    by_pk = dict(Delivery.objects.values_list("pk", "status"))
    assert [by_pk[pk] for pk in (pks[0], pks[1], pks[2], pks[4])] == [
        "succeeded",
        "pending",
        "pending",
        "failed",  # older than a day
    ]
    restarted = Delivery.objects.filter(endpoint=acme, status="pending")
    assert restarted.count() == 3  # with the new delivery of the event that had none
    assert set(restarted.values_list("run_attempts", flat=True)) == {0}
    # Globex's endpoint is still disabled and its delivery untouched
    assert Delivery.objects.get(endpoint=globex).status == "failed"
    assert WebhookEndpoint.objects.get(pk=globex.pk).active is False


def test_since_a_date_takes_older_deliveries_too(deliveries):
    acme, _, _ = deliveries
    since = (timezone.now() - timedelta(days=3)).date().isoformat()
    ran = run("retry_webhooks", "--since", since, "--account", "Acme")
    assert ran.lines[0] == f"{acme.public_id} (Acme): requeued 4"
    assert len(ran.lines) == 2


def test_the_dry_run_counts_and_changes_nothing(deliveries):
    acme, _, _ = deliveries
    before = state()
    ran = run("retry_webhooks", "--dry-run", "--endpoint", acme.public_id)
    assert ran.lines[0] == f"{acme.public_id} (Acme): would requeue 3"
    assert ran.lines[1].startswith("would requeue 3 delivery(ies)")
    assert state() == before


def test_a_disabled_endpoint_asked_for_by_id_is_an_error(deliveries):
    _, globex, _ = deliveries
    before = state()
    with pytest.raises(CommandError, match="is disabled: failing for 3 days; enable it"):
        run("retry_webhooks", "--endpoint", globex.public_id)
    assert state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "whk_nope"], "No webhook endpoint 'whk_nope'"),
        (["--account", "Nobody"], "No account with id or name 'Nobody'"),
        (["--since", "yesterday"], "--since 'yesterday': Use an RFC 3339 date-time"),
        (["--since", "2999-01-01"], "is in the future"),
        # older than the delivery log: what arrived then is no longer known
        (["--since", "2020-01-01"], "older than the delivery log keeps"),
    ],
)
def test_bad_arguments_are_refused(deliveries, args, message):
    before = state()
    with pytest.raises(CommandError, match=message):
        run("retry_webhooks", *args)
    assert state() == before


def test_an_endpoint_of_another_account_is_not_found(deliveries):
    _, globex, _ = deliveries
    with pytest.raises(CommandError, match="in account 'Acme'"):
        run("retry_webhooks", "--endpoint", globex.public_id, "--account", "Acme")
