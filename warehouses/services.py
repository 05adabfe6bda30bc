"""Warehouses and their locations (bins): every write goes through here."""

from django.db import IntegrityError, transaction

from vectis.accounts.models import Account
from warehouses.exceptions import (
    DefaultLocationRequired,
    DuplicateLocationCode,
    DuplicateWarehouseCode,
)
from warehouses.models import DEFAULT_LOCATION_CODE, Location, Warehouse
from warehouses.representation import warehouse_data
from webhooks import services as webhooks

WAREHOUSE_FIELDS = ("code", "name", "address", "priority", "active")
LOCATION_FIELDS = ("code", "name", "pickable", "active")


def warehouse_create(*, account: Account, data: dict) -> Warehouse:
    """Create a warehouse and its default pickable location in one transaction."""
    values = {k: data[k] for k in WAREHOUSE_FIELDS if k in data}
    try:
        with transaction.atomic():
            warehouse = Warehouse.objects.create(account=account, **values)
            Location.objects.create(
                account=account,
                warehouse=warehouse,
                code=DEFAULT_LOCATION_CODE,
                name="Default location",
                pickable=True,
                is_default=True,
            )
            webhooks.emit(account, "warehouse.created", warehouse_data(warehouse))
    except IntegrityError as exc:
        if _exists(Warehouse, account=account, code=values.get("code")):
            raise DuplicateWarehouseCode(
                f"A warehouse with code {values.get('code')!r} already exists.", field="code"
            ) from exc
        raise
    return warehouse


def warehouse_update(*, warehouse: Warehouse, data: dict) -> Warehouse:
    """Change the given fields; the code stays unique within the account."""
    changed = [k for k in WAREHOUSE_FIELDS if k in data]
    if not changed:
        return warehouse
    if "address" in data:
        data = {**data, "address": {**warehouse.address, **data["address"]}}
    for field in changed:
        setattr(warehouse, field, data[field])
    try:
        with transaction.atomic():
            warehouse.save(update_fields=[*changed, "updated_at"])
            webhooks.emit(warehouse.account_id, "warehouse.updated", warehouse_data(warehouse))
    except IntegrityError as exc:
        raise DuplicateWarehouseCode(
            f"A warehouse with code {warehouse.code!r} already exists.", field="code"
        ) from exc
    return warehouse


def location_create(*, warehouse: Warehouse, data: dict) -> Location:
    """Add a bin to a warehouse; its code is unique within the warehouse."""
    values = {k: data[k] for k in LOCATION_FIELDS if k in data}
    try:
        with transaction.atomic():
            return Location.objects.create(
                account_id=warehouse.account_id, warehouse=warehouse, **values
            )
    except IntegrityError as exc:
        raise DuplicateLocationCode(
            f"Location code {values.get('code')!r} already exists in warehouse {warehouse.code!r}.",
            field="code",
        ) from exc


def location_update(*, location: Location, data: dict) -> Location:
    """Change a bin; the default bin can be renamed or made non-pickable but not deactivated."""
    changed = [k for k in LOCATION_FIELDS if k in data]
    if not changed:
        return location
    if location.is_default and data.get("active") is False:
        raise DefaultLocationRequired(field="active")
    for field in changed:
        setattr(location, field, data[field])
    try:
        with transaction.atomic():
            location.save(update_fields=[*changed, "updated_at"])
    except IntegrityError as exc:
        raise DuplicateLocationCode(
            f"Location code {location.code!r} already exists in this warehouse.", field="code"
        ) from exc
    return location


def _exists(model, **filters) -> bool:
    return model.objects.filter(**filters).exists()
