from vectis.errors import Conflict, ValidationFailed


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    default_message = "Not enough stock for this operation."


class StaleQuantity(Conflict):
    code = "stale_quantity"
    default_message = "on_hand differs from expected_on_hand; count again and retry."


class KitHoldsNoStock(ValidationFailed):
    code = "kit_has_no_stock"
    default_message = "A kit holds no stock of its own; adjust its components instead."
