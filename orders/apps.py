from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from inventory.services import levels
        from orders.services.allocation import on_stock_freed

        # With tasks in-process, inventory calls this after a commit that freed stock
        # (in production the dispatcher reads inventory's StockFreed rows instead).
        if on_stock_freed not in levels.STOCK_FREED_LISTENERS:
            levels.STOCK_FREED_LISTENERS.append(on_stock_freed)
