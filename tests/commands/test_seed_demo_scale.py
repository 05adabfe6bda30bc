"""seed_demo --orders N: a demo account the size of a real one, in every status, with returns
and a webhook endpoint, its ledger consistent."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from inventory.selectors import verify_ledger
from orders import constants
from orders.models import Order
from returns.models import Return
from webhooks.models import WebhookEndpoint

ORDER_STATUSES = {
    constants.PENDING,
    constants.ALLOCATED,
    constants.PARTIALLY_ALLOCATED,
    constants.BACKORDERED,
    constants.PARTIALLY_SHIPPED,
    constants.SHIPPED,
    constants.DELIVERED,
    constants.ON_HOLD,
    constants.CANCELLED,
}


def _seed(*args) -> tuple[dict, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--json", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db
def test_ten_thousand_orders_in_every_status_and_a_consistent_ledger(settings, tmp_path):
    settings.VECTIS_DEMO_CREDENTIALS_FILE = str(tmp_path / "demo.json")
    creds, report = _seed("--orders", "10000", "--products", "60", "--warehouses", "3")

    generated = Order.objects.filter(channel="demo-scale")
    assert generated.count() == 10_000
    assert set(generated.values_list("status", flat=True)) == ORDER_STATUSES
    assert {r.status for r in Return.objects.all()} == {"requested", "authorized", "received",
                                                        "closed"}  # fmt: skip
    assert WebhookEndpoint.objects.filter(events=["*"], active=False).count() == 1
    assert verify_ledger()[1] == []  # every level's movements add up to it
    assert "orders by status" in report
    # run again: nothing is added, the credentials are the same
    again, report = _seed("--orders", "10000")
    assert again == creds and "none added" in report
    assert generated.count() == 10_000


@pytest.mark.django_db
def test_bad_sizes_are_refused(settings, tmp_path):
    from django.core.management.base import CommandError

    settings.VECTIS_DEMO_CREDENTIALS_FILE = str(tmp_path / "demo.json")
    for args in (["--products", "2"], ["--warehouses", "0"]):
        with pytest.raises(CommandError, match="must be positive, --products at least 3"):
            call_command("seed_demo", "--orders", "10", *args, stdout=StringIO())
