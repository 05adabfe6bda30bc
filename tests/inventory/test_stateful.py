"""Property-based: any sequence of adjust / transfer / reserve / release / lapse / expire keeps
`0 <= reserved <= on_hand`, the ledger summing to on_hand, and reserved = Σ active reservations,
and agrees with a simple model of what each operation must do."""

import itertools
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from inventory import services
from inventory.exceptions import InsufficientStock
from inventory.models import Reservation, StockLevel, StockMovement
from tests.factories import Stock
from tests.helpers import make_account

_names = itertools.count()


class InventoryMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.stock = Stock(make_account(f"prop-{next(_names)}"))
        east, west = self.stock.warehouse("EAST", priority=1), self.stock.warehouse("WEST")
        self.locations = [
            self.stock.default(east),
            self.stock.location(east, "E-2"),
            self.stock.default(west),
        ]
        self.products = [self.stock.product("P0"), self.stock.product("P1")]
        # model: on_hand per (product, location); reservations by id → (level key, qty)
        self.on_hand = defaultdict(int)
        self.live: dict[int, tuple[tuple[int, int], int]] = {}  # active, not lapsed
        self.lapsed: dict[int, tuple[tuple[int, int], int]] = {}  # past expiry, maybe swept
        self.holds: dict[str, list[int]] = defaultdict(list)
        self.refs = itertools.count()

    # --- model helpers -----------------------------------------------------------------------
    def live_reserved(self, key) -> int:
        return sum(q for k, q in self.live.values() if k == key)

    def available(self, product) -> int:
        return sum(
            self.on_hand[(product.pk, loc.pk)] - self.live_reserved((product.pk, loc.pk))
            for loc in self.locations
        )

    def forget_swept(self, keys) -> None:
        """Lapsed holds on these levels may have been expired by the service: drop them."""
        for rid, (key, _) in list(self.lapsed.items()):
            if key in keys:
                del self.lapsed[rid]

    # --- rules -------------------------------------------------------------------------------
    @rule(p=st.integers(0, 1), loc=st.integers(0, 2), delta=st.integers(-6, 8).filter(bool))
    def adjust(self, p, loc, delta):
        product, location = self.products[p], self.locations[loc]
        key = (product.pk, location.pk)
        allowed = self.on_hand[key] + delta >= self.live_reserved(key)
        try:
            services.adjust(product=product, location=location, reason="other", quantity=delta)
        except InsufficientStock:
            assert not allowed
            return
        assert allowed
        self.on_hand[key] += delta
        self.forget_swept({key})

    @rule(p=st.integers(0, 1), src=st.integers(0, 2), dst=st.integers(0, 2), q=st.integers(1, 5))
    def transfer(self, p, src, dst, q):
        if src == dst:
            return
        product = self.products[p]
        source = (product.pk, self.locations[src].pk)
        target = (product.pk, self.locations[dst].pk)
        allowed = self.on_hand[source] - self.live_reserved(source) >= q
        try:
            services.transfer(
                product=product,
                from_location=self.locations[src],
                to_location=self.locations[dst],
                quantity=q,
            )
        except InsufficientStock:
            assert not allowed
            return
        assert allowed
        self.on_hand[source] -= q
        self.on_hand[target] += q
        self.forget_swept({source, target})

    @rule(p=st.integers(0, 1), q=st.integers(1, 6), partial=st.booleans(), expiring=st.booleans())
    def reserve(self, p, q, partial, expiring):
        product = self.products[p]
        available = self.available(product)
        reference = f"hold-{next(self.refs)}"
        expires_at = timezone.now() + timedelta(hours=1) if expiring else None
        try:
            result = services.reserve(
                account_id=self.stock.account.pk,
                lines=[services.ReserveLine(product, q)],
                reference=reference,
                expires_at=expires_at,
                allow_partial=partial,
            )
        except InsufficientStock:
            assert not partial and available < q
            return
        got = sum(r.quantity for r in result.reservations)
        assert got == min(q, available) if partial else got == q
        assert result.lines[0].reserved == got
        for r in result.reservations:
            self.live[r.pk] = ((r.product_id, r.stock_level.location_id), r.quantity)
            self.holds[reference].append(r.pk)
        self.forget_swept({(product.pk, loc.pk) for loc in self.locations})

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def release(self, data):
        reference = data.draw(st.sampled_from(sorted(self.holds)))
        result = services.release(account_id=self.stock.account.pk, reference=reference)
        released = {r.pk for r in result.released}
        live = {rid for rid in self.holds[reference] if rid in self.live}
        assert live <= released  # everything live goes; lapsed ones may or may not be swept yet
        assert released <= set(self.holds[reference])
        for rid in self.holds.pop(reference):
            self.live.pop(rid, None)
            self.lapsed.pop(rid, None)
        again = services.release(account_id=self.stock.account.pk, reference=reference)
        assert again.released == []

    @precondition(lambda self: any(self._expiring()))
    @rule(data=st.data())
    def lapse(self, data):
        """Time passes for one expiring hold: it stops counting at once."""
        rid = data.draw(st.sampled_from(sorted(self._expiring())))
        Reservation.objects.filter(pk=rid).update(expires_at=timezone.now() - timedelta(seconds=1))
        self.lapsed[rid] = self.live.pop(rid)

    def _expiring(self):
        return [
            rid
            for rid in self.live
            if Reservation.objects.filter(pk=rid, expires_at__isnull=False).exists()
        ]

    @rule()
    def expire(self):
        services.expire_holds()
        self.lapsed.clear()

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def database_invariants(self):
        if not hasattr(self, "stock"):
            return
        for level in StockLevel.objects.filter(account=self.stock.account):
            assert 0 <= level.reserved <= level.on_hand
            ledger = StockMovement.objects.filter(
                product_id=level.product_id, location_id=level.location_id
            ).aggregate(total=Sum("quantity"))["total"]
            assert ledger == level.on_hand
            active = Reservation.objects.filter(stock_level=level, status="active").aggregate(
                total=Sum("quantity")
            )["total"]
            assert level.reserved == (active or 0)
            key = (level.product_id, level.location_id)
            assert level.on_hand == self.on_hand[key]
            assert level.reserved >= self.live_reserved(key)

    @invariant()
    def live_reservations_are_active(self):
        if not hasattr(self, "stock") or not self.live:
            return
        statuses = set(
            Reservation.objects.filter(pk__in=list(self.live)).values_list("status", flat=True)
        )
        assert statuses == {"active"}


@pytest.mark.django_db
def test_inventory_state_machine():
    run_state_machine_as_test(
        InventoryMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
