from vectis.errors import Conflict, DuplicateError


class DuplicateOrder(DuplicateError):
    code = "duplicate_order"
    default_message = "An order with this channel and external_id already exists."


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"
    default_message = "The order cannot move to that status."


class OrderOnHold(Conflict):
    code = "order_on_hold"
    default_message = "The order is on hold; release the hold first."


class AlreadyCancelled(Conflict):
    code = "already_cancelled"
    default_message = "The order is already cancelled."


class FieldLocked(Conflict):
    code = "field_locked"
    default_message = "This field cannot change in the order's current status."


class PackageNotPending(Conflict):
    code = "package_not_pending"
    default_message = "Only pending packages can change."


class PackageNotShipped(Conflict):
    code = "package_not_shipped"
    default_message = "The package has not shipped (or is past the point this allows)."
