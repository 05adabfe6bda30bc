"""Warehouse reads."""

from django.db.models import OuterRef, QuerySet, Subquery

from warehouses.models import Location, Warehouse


def warehouses_for_account(account) -> QuerySet[Warehouse]:
    default_location = Location.objects.filter(warehouse=OuterRef("pk"), is_default=True)
    return Warehouse.objects.filter(account=account).annotate(
        default_location_public_id=Subquery(default_location.values("public_id")[:1])
    )


def locations_for_account(account) -> QuerySet[Location]:
    return Location.objects.filter(account=account).select_related("warehouse")
