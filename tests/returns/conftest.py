from tests.inventory.conftest import other_stock, stock  # noqa: F401  (shared fixtures)
