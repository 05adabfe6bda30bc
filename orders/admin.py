"""Staff: orders with their lines, packages and history; actions call the services."""

from django.contrib import admin, messages
from django.http import HttpResponse

from orders import labels, services
from orders.models import Order, OrderEvent, OrderLine, Package, PackageLine, TrackingEvent
from vectis.accounts.admin_scoping import AccountScopedAdmin, actor
from vectis.errors import DomainError


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "sku",
        "product",
        "quantity",
        "price",
        "quantity_allocated",
        "quantity_shipped",
        "quantity_cancelled",
        "quantity_returned",
    )
    readonly_fields = fields


class PackageInline(ReadOnlyInline):
    model = Package
    fields = ("public_id", "warehouse", "status", "carrier", "tracking_number", "shipped_at")
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "type", "from_status", "to_status", "actor", "data")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(AccountScopedAdmin):
    list_display = (
        "public_id",
        "channel",
        "external_id",
        "status",
        "customer_name",
        "total",
        "priority",
        "created_at",
    )
    list_filter = ("status", "channel", ("account", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "external_id", "customer_name", "customer_email", "lines__sku")
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, PackageInline, OrderEventInline]
    actions = ["allocate_selected", "hold_selected", "release_selected", "cancel_selected"]
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
        "subtotal",
        "total",
        "ship_to",
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


class PackageLineInline(ReadOnlyInline):
    model = PackageLine
    fields = ("order_line", "quantity")
    readonly_fields = fields


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ("occurred_at", "status", "location", "description")
    readonly_fields = fields


@admin.register(Package)
class PackageAdmin(AccountScopedAdmin):
    list_display = (
        "public_id",
        "order",
        "warehouse",
        "status",
        "carrier",
        "tracking_number",
        "shipped_at",
    )
    list_filter = ("status", ("warehouse", admin.RelatedOnlyFieldListFilter), "carrier")
    search_fields = ("public_id", "tracking_number", "order__public_id", "order__external_id")
    list_select_related = ("order", "warehouse")
    inlines = [PackageLineInline, TrackingEventInline]
    actions = ["print_labels"]
    fields = (
        "public_id",
        "order",
        "warehouse",
        "status",
        "carrier",
        "service",
        "tracking_number",
        "weight",
        "weight_unit",
        "shipped_at",
        "delivered_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Print labels (one PDF)")
    def print_labels(self, request, queryset):
        contents, skipped = [], []
        for package in queryset.select_related("order", "warehouse").order_by("id"):
            label = labels.current_label(package)
            if label is None or not label.rendered or package.status == Package.PENDING:
                skipped.append(package.public_id)
                continue
            contents.append(labels.content_for(package, label))
        if not contents:
            self.message_user(
                request, "None of the selected packages has a printable label.", messages.ERROR
            )
            return None
        response = HttpResponse(labels.render_pdf(contents), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="labels.pdf"'
        return response
