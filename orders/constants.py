"""Order statuses and the one table of allowed transitions."""

PENDING = "pending"
ALLOCATED = "allocated"
PARTIALLY_ALLOCATED = "partially_allocated"
BACKORDERED = "backordered"
PARTIALLY_SHIPPED = "partially_shipped"
SHIPPED = "shipped"
DELIVERED = "delivered"
ON_HOLD = "on_hold"
CANCELLED = "cancelled"

STATUSES = (
    PENDING,
    ALLOCATED,
    PARTIALLY_ALLOCATED,
    BACKORDERED,
    PARTIALLY_SHIPPED,
    SHIPPED,
    DELIVERED,
    ON_HOLD,
    CANCELLED,
)

# Statuses from which allocation may (re)run.
ALLOCATABLE = (PENDING, PARTIALLY_ALLOCATED, BACKORDERED, ALLOCATED, PARTIALLY_SHIPPED)
UNSHIPPED = (PENDING, ALLOCATED, PARTIALLY_ALLOCATED, BACKORDERED)

# from → the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({ALLOCATED, PARTIALLY_ALLOCATED, BACKORDERED, ON_HOLD, CANCELLED}),
    ALLOCATED: frozenset(
        {PENDING, PARTIALLY_ALLOCATED, BACKORDERED, PARTIALLY_SHIPPED, SHIPPED, ON_HOLD, CANCELLED}
    ),
    PARTIALLY_ALLOCATED: frozenset(
        {PENDING, ALLOCATED, BACKORDERED, PARTIALLY_SHIPPED, SHIPPED, ON_HOLD, CANCELLED}
    ),
    BACKORDERED: frozenset({PENDING, ALLOCATED, PARTIALLY_ALLOCATED, ON_HOLD, CANCELLED}),
    # A voided label puts a package's units back: the order steps back from shipped.
    PARTIALLY_SHIPPED: frozenset(
        {PARTIALLY_SHIPPED, SHIPPED, CANCELLED, ALLOCATED, PARTIALLY_ALLOCATED}
    ),
    SHIPPED: frozenset({DELIVERED, PARTIALLY_SHIPPED, ALLOCATED, PARTIALLY_ALLOCATED}),
    DELIVERED: frozenset(),
    # Releasing a hold returns the order to where allocation puts it.
    ON_HOLD: frozenset({PENDING, ALLOCATED, PARTIALLY_ALLOCATED, BACKORDERED, CANCELLED}),
    CANCELLED: frozenset(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
