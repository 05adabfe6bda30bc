"""Staff: orders with their lines, packages and history; actions call the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from orders import constants, labels, picking, services
from orders.admin.common import ReadOnlyInline, money, money_column, packing_slips_response
from orders.models import Order, OrderEvent, OrderLine, Package
from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin, actor
from vectis.admin_export import CsvExportMixin
from vectis.errors import DomainError


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    related = ("product", "order")
    fields = (
        "sku",
        "product",
        "quantity",
        "unit_price",
        "quantity_allocated",
        "quantity_shipped",
        "quantity_cancelled",
        "quantity_returned",
    )
    readonly_fields = fields

    @admin.display(description="price")
    def unit_price(self, obj):
        return money(obj.price, obj.order.currency)


class PackageInline(ReadOnlyInline):
    model = Package
    related = ("warehouse",)
    fields = ("public_id", "warehouse", "status", "carrier", "tracking_number", "shipped_at")
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "type", "from_status", "to_status", "actor", "data")
    readonly_fields = fields


class CancelForm(forms.Form):
    """A reason, and per line the units to cancel; all lines empty cancels the whole order."""

    reason = forms.CharField(max_length=500, initial="cancelled in the admin")

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        for line in lines:
            open_units = line.quantity - line.quantity_shipped - line.quantity_cancelled
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.sku} (of {open_units} open)",
                min_value=0,
                max_value=max(open_units, 0),
                required=False,
            )

    def items(self, lines) -> list[dict]:
        return [
            {"line_id": line.public_id, "sku": line.sku, "quantity": n}
            for line in lines
            if (n := self.cleaned_data.get(f"line_{line.pk}"))
        ]


@admin.register(Order)
class OrderAdmin(CsvExportMixin, AccountScopedAdmin):
    change_list_template = "admin/export_change_list.html"
    export_columns = [
        ("id", "public_id"),
        ("channel", "channel"),
        ("external_id", "external_id"),
        ("status", "status"),
        ("customer_name", "customer_name"),
        ("customer_email", "customer_email"),
        ("currency", "currency"),
        ("subtotal", "subtotal"),
        ("total", "total"),
        ("priority", "priority"),
        ("created_at", "created_at"),
        ("updated_at", "updated_at"),
    ]
    list_display = (
        "public_id",
        "channel",
        "external_id",
        "status",
        "customer_name",
        "total_amount",
        "priority",
        "created_at",
    )
    list_filter = ("status", "channel", ("account", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "external_id", "customer_name", "customer_email", "lines__sku")
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, PackageInline, OrderEventInline]
    actions = [
        "allocate_selected",
        "print_pick_list",
        "print_packing_slips",
        "hold_selected",
        "release_selected",
        "cancel_selected",
    ]
    fields = (
        "public_id",
        "account",
        "channel",
        "external_id",
        "status",
        "sub_status",
        "hold_reason",
        "priority",
        "currency",
        "subtotal_amount",
        "shipping_amount",
        "tax_amount",
        "discount_amount",
        "total_amount",
        "ship_to_address",
        "shipping_method",
        "notes",
        "tags",
        "metadata",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # orders arrive through the API

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the history stays

    def has_change_permission(self, request, obj=None):
        return False  # every change goes through an action (and the services)

    total_amount = money_column("total", "total")
    subtotal_amount = money_column("subtotal", "subtotal")
    shipping_amount = money_column("shipping", "shipping")
    tax_amount = money_column("tax", "tax")
    discount_amount = money_column("discount", "discount")

    @admin.display(description="ship to")
    def ship_to_address(self, obj):
        address = obj.ship_to or {}
        contact = [address[k] for k in ("phone", "email") if address.get(k)]
        lines = labels.address_lines(address) + contact
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/pick-list/", view(self.pick_list_view), name="orders_order_pick_list"),
            path("<int:pk>/cancel/", view(self.cancel_view), name="orders_order_cancel"),
        ]
        return own + super().get_urls()

    def has_ship_permission(self, request) -> bool:
        return self.allowed(request, "orders.ship_package")

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["can_pick"] = self.allowed(request, "orders.ship_package", obj)
            context["can_cancel"] = obj.status not in (
                constants.CANCELLED,
                constants.SHIPPED,
                constants.DELIVERED,
            ) and self.allowed(request, "orders.cancel_order", obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def cancel_view(self, request, pk):
        """Cancel the whole order or some units of its lines, with a reason."""
        order = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.allowed(request, "orders.cancel_order", order):
            raise PermissionDenied
        lines = list(order.lines.order_by("position"))
        form = CancelForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            items = form.items(lines)
            try:
                services.order_cancel(
                    order=order,
                    reason=form.cleaned_data["reason"],
                    items=items or None,
                    actor=actor(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                order.refresh_from_db()
                what = (
                    ", ".join(f"{i['quantity']} x {i['sku']}" for i in items)
                    if items
                    else "the whole order"
                )
                messages.success(
                    request, f"{order.public_id}: cancelled {what}; now {order.status}."
                )
                return redirect(reverse("admin:orders_order_change", args=[order.pk]))
        return self.page(
            request, FORM_PAGE, f"Cancel {order.channel}:{order.external_id}", form=form
        )

    def pick_list_view(self, request, pk):
        """One order's pick list: PDF, or the screen with ?screen=1."""
        order = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.allowed(request, "orders.ship_package", order):
            raise PermissionDenied
        return self._pick_list(request, [order])

    def _pick_list(self, request, orders):
        rows = picking.pick_rows([o.pk for o in orders])
        names = ", ".join(f"{o.channel}:{o.external_id}" for o in orders[:5])
        title = f"Pick list: {names}" + (f" and {len(orders) - 5} more" if len(orders) > 5 else "")
        if request.GET.get("screen") == "1":
            return self.page(
                request, "admin/orders/order/pick_list.html", title, rows=rows, orders=orders
            )
        response = HttpResponse(
            picking.render_pick_list(rows, title), content_type="application/pdf"
        )
        response["Content-Disposition"] = 'inline; filename="pick-list.pdf"'
        return response

    @admin.action(description="Print a pick list of selected orders (PDF)", permissions=["ship"])
    def print_pick_list(self, request, queryset):
        orders = self.each_allowed(request, queryset.order_by("pk"), "orders.ship_package")
        return self._pick_list(request, orders) if orders else None

    @admin.action(
        description="Print packing slips of selected orders (one PDF)", permissions=["ship"]
    )
    def print_packing_slips(self, request, queryset):
        return packing_slips_response([o.pk for o in queryset], self.get_queryset(request))

    def has_allocate_permission(self, request) -> bool:
        return self.allowed(request, "orders.allocate_order")

    def has_hold_permission(self, request) -> bool:
        return self.allowed(request, "orders.hold_order")

    def has_cancel_permission(self, request) -> bool:
        return self.allowed(request, "orders.cancel_order")

    def _each(self, request, queryset, perm: str, call) -> None:
        """Run `call(order, actor)` on each selected order the role allows, one transaction
        each, and say what became of every one of them."""
        done, failed = [], []
        for order in self.each_allowed(request, queryset.order_by("pk"), perm):
            try:
                outcome = call(order, actor(request))
            except DomainError as exc:
                failed.append(f"{order.public_id}: {exc.message}")
            else:
                done.append(outcome)
        for text, level in done:
            self.message_user(request, text, level=level)
        for line in failed:
            self.message_user(request, line, level=messages.ERROR)

    @admin.action(description="Allocate selected orders", permissions=["allocate"])
    def allocate_selected(self, request, queryset):
        def allocate(order, actor):
            result = services.order_allocate(order=order, actor=actor)
            return allocation_outcome(result)

        self._each(request, queryset, "orders.allocate_order", allocate)

    @admin.action(description="Put selected orders on hold", permissions=["hold"])
    def hold_selected(self, request, queryset):
        def hold(order, actor):
            services.order_hold(order=order, reason="held in the admin", actor=actor)
            return f"{order.public_id}: on hold.", messages.SUCCESS

        self._each(request, queryset, "orders.hold_order", hold)

    @admin.action(description="Release the hold of selected orders", permissions=["hold"])
    def release_selected(self, request, queryset):
        def release(order, actor):
            order = services.order_release_hold(order=order, actor=actor)
            return f"{order.public_id}: released, now {order.status}.", messages.SUCCESS

        self._each(request, queryset, "orders.hold_order", release)

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        def cancel(order, actor):
            services.order_cancel(order=order, reason="cancelled in the admin", actor=actor)
            return f"{order.public_id}: cancelled.", messages.SUCCESS

        self._each(request, queryset, "orders.cancel_order", cancel)


def allocation_outcome(result) -> tuple[str, int]:
    """What an allocation did, in words: allocated, or what is missing ("backordered:
    TEE-BLK-M needs 3, 1 available")."""
    order = result.order
    if result.reserve is None:
        return f"{order.public_id}: nothing open to allocate ({order.status}).", messages.INFO
    short = result.reserve.shortfalls
    if not short:
        return f"{order.public_id}: allocated.", messages.SUCCESS
    missing = "; ".join(
        f"{line.product.sku} needs {line.requested}, {line.reserved} available" for line in short
    )
    return f"{order.public_id}: {order.status}: {missing}.", messages.WARNING
