from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone

from inventory import services
from inventory.models import Reservation, StockLevel
from tests.commands.helpers import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def holds(stock):
    """Two holds of WIDGET (3 and 2 units of 10) that lapsed a minute ago, and one (1 unit) that
    lapses in an hour."""
    widget = stock.product("WIDGET")
    stock.receive(widget, stock.warehouse(), 10)
    soon = timezone.now() + timedelta(minutes=5)
    for reference, quantity in (("cart-1", 3), ("cart-2", 2), ("cart-3", 1)):
        services.reserve(
            account_id=stock.account.pk,
            lines=[services.ReserveLine(product=widget, quantity=quantity)],
            reference=reference,
            expires_at=soon,
        )
    Reservation.objects.exclude(reference="cart-3").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    Reservation.objects.filter(reference="cart-3").update(
        expires_at=timezone.now() + timedelta(hours=1)
    )
    return widget


def statuses() -> dict[str, str]:
    return dict(Reservation.objects.values_list("reference", "status"))


def test_the_lapsed_holds_are_expired_and_counted(holds):
    ran = run("expire_holds")
    assert ran.lines == ["expired 2 hold(s)"]
    assert statuses() == {"cart-1": "expired", "cart-2": "expired", "cart-3": "active"}
    assert StockLevel.objects.get().reserved == 1
    assert ran.err == ""  # no bar when stderr is not a terminal
    assert run("expire_holds").lines == ["expired 0 hold(s)"]


def test_the_dry_run_lists_the_lapsed_holds_and_changes_nothing(holds, account):
    ran = run("expire_holds", "--dry-run")
    listed = [line.split("\t") for line in ran.lines[:-1]]
    assert [(row[1], row[2], row[3], row[4], row[5]) for row in listed] == [
        (account.name, "WIDGET", "MAIN", "3", "cart-1"),
        (account.name, "WIDGET", "MAIN", "2", "cart-2"),
    ]
    assert all(row[0].startswith("rsv_") for row in listed)
    assert ran.lines[-1] == "would expire 2 hold(s)"
    assert set(statuses().values()) == {"active"}
    assert StockLevel.objects.get().reserved == 6


def test_the_progress_bar_is_drawn_on_stderr_when_asked_for(holds):
    ran = run("expire_holds", "--progress")
    assert "expiring holds" in ran.err
    assert "2/2" in ran.err
    assert ran.lines == ["expired 2 hold(s)"]


def test_a_database_failure_is_a_command_error(holds, monkeypatch):
    def broken(**kwargs):
        raise DatabaseError("could not obtain lock")

    monkeypatch.setattr(services, "expire_holds", broken)
    with pytest.raises(CommandError, match="Expiring holds failed: could not obtain lock"):
        run("expire_holds")
    assert set(statuses().values()) == {"active"}
