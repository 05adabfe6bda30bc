"""POST /v1/inventory/adjust/bulk and /set/bulk: validated rows to the bulk service's rows,
their SKUs, warehouses and bins resolved in four queries however many rows there are. A row
whose reference is unknown is that row's error, not the request's."""

from catalog.api.refs import ProductRefs
from inventory.services.bulk import StockRow, StockRowResult
from vectis.errors import ValidationFailed
from warehouses.models import Location, Warehouse


def rows_from(account, items: list[dict]) -> tuple[list[StockRow], list[StockRowResult]]:
    products = ProductRefs(account)
    products.prefetch_products(items)
    warehouses = {
        w.public_id: w
        for w in Warehouse.objects.filter(
            account=account, public_id__in={i["warehouse_id"] for i in items}
        )
    }
    named = {i["location_id"] for i in items if i.get("location_id")}
    locations = {
        loc.public_id: loc
        for loc in Location.objects.filter(account=account, public_id__in=named).select_related(
            "warehouse"
        )
    }
    defaults = {
        loc.warehouse_id: loc
        for loc in Location.objects.filter(
            warehouse__in=list(warehouses.values()), is_default=True
        ).select_related("warehouse")
    }
    rows, failed = [], []
    for index, item in enumerate(items):
        try:
            product = products.product(item)
            location = _location(item, warehouses, locations, defaults)
        except ValidationFailed as exc:
            failed.append(StockRowResult.failed(index, exc))
            continue
        rows.append(
            StockRow(
                index=index,
                product=product,
                location=location,
                reason=item["reason"],
                quantity=item.get("quantity"),
                on_hand=item.get("on_hand"),
                expected_on_hand=item.get("expected_on_hand"),
                note=item.get("note", ""),
                reference=item.get("reference", ""),
            )
        )
    return rows, failed


def _location(item, warehouses, locations, defaults) -> Location:
    warehouse = warehouses.get(item["warehouse_id"])
    if warehouse is None:
        raise ValidationFailed(
            f"Invalid warehouse_id: {item['warehouse_id']} not found", field="warehouse_id"
        )
    if not item.get("location_id"):
        return defaults[warehouse.pk]
    location = locations.get(item["location_id"])
    if location is None:
        raise ValidationFailed(
            f"Invalid location_id: {item['location_id']} not found", field="location_id"
        )
    if location.warehouse_id != warehouse.pk:
        raise ValidationFailed(
            f"Location {location.public_id} is not in warehouse {warehouse.public_id}.",
            field="location_id",
            code="location_not_in_warehouse",
        )
    return location


def result_data(results: list[StockRowResult], items: list[dict]) -> dict:
    """The answer: counts per status and one result per row, in row order."""
    rows = []
    for result in results:
        item, row = items[result.index], result.row
        data = {
            "index": result.index,
            "status": result.status,
            "sku": row.product.sku if row else item.get("sku"),
            "warehouse_id": item.get("warehouse_id"),
            "location_id": row.location.public_id if row else item.get("location_id"),
            "on_hand": result.on_hand,
            "movement_id": result.movement.public_id if result.movement else None,
        }
        if result.error is not None:
            data["error"] = result.error
        rows.append(data)
    count = {s: sum(r.status == s for r in results) for s in ("applied", "unchanged", "stale")}
    return {**count, "failed": sum(r.status == "error" for r in results), "results": rows}
