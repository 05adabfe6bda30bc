"""Staff: orders with their lines, packages and history; actions call the services."""

from django.contrib import admin, messages
from django.http import HttpResponse

from orders import labels, services
from orders.models import Order, OrderEvent, OrderLine, Package, PackageLine, TrackingEvent
from vectis.accounts.admin_scoping import AccountScopedAdmin
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
    search_fields = ("public_id", "external_id", "customer_name", "customer_email")
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, PackageInline, OrderEventInline]
    actions = ["allocate_selected", "hold_selected", "cancel_selected"]
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

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("orders.change_order")

    def _each(self, request, queryset, verb: str, call) -> None:
        done, failed = 0, []
        actor = f"user:{request.user.get_username()}"
        for order in queryset:
            try:
                call(order, actor)
            except DomainError as exc:
                failed.append(f"{order.public_id}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} order(s).")
        for line in failed:
            self.message_user(request, line, level=messages.ERROR)

    @admin.action(description="Allocate selected orders", permissions=["act"])
    def allocate_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Allocated",
            lambda order, actor: services.order_allocate(order=order, actor=actor),
        )

    @admin.action(description="Put selected orders on hold", permissions=["act"])
    def hold_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Held",
            lambda order, actor: services.order_hold(
                order=order, reason="held in the admin", actor=actor
            ),
        )

    @admin.action(description="Cancel selected orders", permissions=["act"])
    def cancel_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            "Cancelled",
            lambda order, actor: services.order_cancel(
                order=order, reason="cancelled in the admin", actor=actor
            ),
        )


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
