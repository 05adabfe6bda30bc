from django.apps import AppConfig


class WarehousesConfig(AppConfig):
    name = "warehouses"
