import pytest

from catalog import services as catalog
from inventory import services
from warehouses import services as warehouses
from warehouses.models import Location


class Stock:
    """Builds catalog and warehouse rows through their services, and moves stock."""

    def __init__(self, account):
        self.account = account

    def warehouse(self, code: str = "MAIN", priority: int = 0):
        return warehouses.warehouse_create(
            account=self.account,
            data={"code": code, "name": code, "address": {}, "priority": priority},
        )

    def location(self, warehouse, code: str, pickable: bool = True):
        return warehouses.location_create(
            warehouse=warehouse, data={"code": code, "pickable": pickable}
        )

    def product(self, sku: str, **fields):
        return catalog.product_create(
            account=self.account, data={"sku": sku, "name": sku, **fields}
        )

    def kit(self, sku: str, components: dict[str, int]):
        return self.product(
            sku,
            type="kit",
            components=[{"sku": s, "quantity": q} for s, q in components.items()],
        )

    @staticmethod
    def default(warehouse) -> Location:
        return Location.objects.get(warehouse=warehouse, is_default=True)

    def receive(self, product, where, quantity: int):
        location = where if isinstance(where, Location) else self.default(where)
        return services.adjust(
            product=product, location=location, reason="received", quantity=quantity
        )


@pytest.fixture
def stock(account):
    return Stock(account)


@pytest.fixture
def other_stock(other_account):
    return Stock(other_account)
