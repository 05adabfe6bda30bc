from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self):
        # catalog asks what only inventory knows (catalog.usage); it cannot import us
        from catalog import usage
        from inventory import selectors

        usage.register(
            products_with_stock=selectors.products_with_stock_rows,
            kits_in_use=selectors.kits_with_open_reservations,
        )
