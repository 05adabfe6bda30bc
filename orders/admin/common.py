"""Pieces the order and package admins share: read-only inlines, money, packing slips."""

from django.contrib import admin
from django.http import HttpResponse

from orders import labels
from vectis.serializers import format_money


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    related = ()  # select_related for the rows, so a page costs the same for 1 or 30 lines

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.related) if self.related else queryset

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def money(value, currency: str) -> str:
    """32.0000 USD → "32.00 USD"; nothing for no value."""
    return "—" if value is None else f"{format_money(value)} {currency}"


def money_column(field: str, label: str):
    """An order's money field shown in the order's currency, for list_display and fields."""

    @admin.display(description=label, ordering=field)
    def column(self, obj):
        return money(getattr(obj, field), obj.currency)

    return column


def packing_slips_response(order_ids, orders) -> HttpResponse:
    """One PDF with the packing slip of each order (its packages and lines)."""
    chosen = orders.filter(pk__in=list(order_ids)).prefetch_related("packages__warehouse")
    slips = [(order, list(order.packages.all())) for order in chosen.order_by("pk")]
    response = HttpResponse(labels.render_packing_slips(slips), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="packing-slips.pdf"'
    return response
