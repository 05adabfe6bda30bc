"""Every write of stock goes through these functions (see levels.py for the lock order)."""

from inventory.services.adjust import StockChange, adjust, transfer
from inventory.services.low_stock import evaluate as evaluate_low_stock
from inventory.services.low_stock import set_threshold
from inventory.services.reservations import (
    LineResult,
    ReleaseResult,
    ReserveLine,
    ReserveResult,
    expire_holds,
    release,
    reserve,
)

__all__ = [
    "LineResult",
    "ReleaseResult",
    "ReserveLine",
    "ReserveResult",
    "StockChange",
    "adjust",
    "evaluate_low_stock",
    "expire_holds",
    "release",
    "reserve",
    "set_threshold",
    "transfer",
]
