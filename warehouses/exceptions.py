from vectis.errors import Conflict, DuplicateError


class DuplicateWarehouseCode(DuplicateError):
    code = "duplicate_code"
    default_message = "A warehouse with this code already exists."


class DuplicateLocationCode(DuplicateError):
    code = "duplicate_code"
    default_message = "A location with this code already exists in this warehouse."


class DefaultLocationRequired(Conflict):
    code = "default_location_required"
    default_message = "The default location of a warehouse cannot be deactivated."
