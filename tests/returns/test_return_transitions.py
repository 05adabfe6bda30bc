"""Return statuses move only along Return.TRANSITIONS, through returns.services.set_status:
every (from, to) pair is allowed exactly when the table says so."""

import itertools

import pytest

from returns.models import Return
from returns.services import InvalidReturnTransition, set_status

pytestmark = pytest.mark.django_db

STATUSES = [s for s, _ in Return.STATUSES]


def test_the_table_names_every_status_and_only_statuses():
    assert set(Return.TRANSITIONS) == set(STATUSES)
    assert set().union(*Return.TRANSITIONS.values()) <= set(STATUSES)
    # closed, rejected and cancelled are final
    assert [s for s, moves in Return.TRANSITIONS.items() if not moves] == [
        "closed",
        "rejected",
        "cancelled",
    ]


@pytest.mark.parametrize("from_status, to_status", list(itertools.product(STATUSES, STATUSES)))
def test_transition_table(from_status, to_status):
    ret = Return(status=from_status)
    if to_status in Return.TRANSITIONS[from_status]:
        set_status(ret, to_status, why="tested")
        assert ret.status == to_status
    else:
        with pytest.raises(InvalidReturnTransition) as refused:
            set_status(ret, to_status, why="tested")
        assert refused.value.extra == {"from_status": from_status, "to_status": to_status}
        assert refused.value.message == f"A {from_status} return cannot be tested."
        assert ret.status == from_status
