"""The inventory admin: stock, the ledger, holds and thresholds (`stock`), and its forms."""

from inventory.admin.stock import (
    LowStockRuleAdmin,
    ReservationAdmin,
    StockLevelAdmin,
    StockMovementAdmin,
)

__all__ = ["LowStockRuleAdmin", "ReservationAdmin", "StockLevelAdmin", "StockMovementAdmin"]
