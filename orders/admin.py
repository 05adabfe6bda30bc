"""Staff: orders with their lines, packages and history; actions call the services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from orders import constants, labels, picking, services
from orders.models import Order, OrderEvent, OrderLine, Package, PackageLine, TrackingEvent
from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin, actor
from vectis.admin_export import CsvExportMixin
from vectis.errors import DomainError
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


def money(value, currency: str) -> str:
    """32.0000 USD → "32.00 USD"; nothing for no value."""
    return "—" if value is None else f"{format_money(value)} {currency}"


def money_column(field: str, label: str):
    """An order's money field shown in the order's currency, for list_display and fields."""

    @admin.display(description=label, ordering=field)
    def column(self, obj):
        return money(getattr(obj, field), obj.currency)

    return column


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


class PackageLineInline(ReadOnlyInline):
    model = PackageLine
    related = ("order_line",)
    fields = ("order_line", "quantity")
    readonly_fields = fields


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ("occurred_at", "status", "location", "description")
    readonly_fields = fields


class TrackForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(st, st.replace("_", " ")) for st in TrackingEvent.STATUSES]
    )
    location = forms.CharField(max_length=200, required=False)
    description = forms.CharField(max_length=500, required=False)


class ShipForm(forms.Form):
    carrier = forms.ChoiceField(choices=[])
    service = forms.CharField(max_length=64, required=False)
    tracking_number = forms.CharField(
        max_length=100, required=False, help_text="Only for a label made outside Vectis."
    )
    weight = forms.DecimalField(max_digits=9, decimal_places=3, min_value=0, required=False)
    weight_unit = forms.ChoiceField(choices=[("kg", "kg"), ("g", "g"), ("lb", "lb"), ("oz", "oz")])
    length = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    width = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    height = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    dimension_unit = forms.ChoiceField(choices=[("cm", "cm"), ("in", "in")])

    def __init__(self, *args, package, **kwargs):
        super().__init__(*args, **kwargs)
        carriers = sorted(settings.VECTIS_CARRIERS)
        self.fields["carrier"].choices = [(c, c) for c in carriers]
        self.fields["carrier"].initial = package.carrier or settings.VECTIS_DEFAULT_CARRIER
        self.fields["service"].initial = package.service
        self.fields["weight"].initial = package.weight
        self.fields["weight_unit"].initial = package.weight_unit or "kg"

    def ship_kwargs(self) -> dict:
        data = self.cleaned_data
        dimensions = {k: data[k] for k in ("length", "width", "height") if data[k] is not None}
        if dimensions:
            dimensions["unit"] = data["dimension_unit"]
        return {
            "carrier": data["carrier"],
            "service": data["service"] or None,
            "tracking_number": data["tracking_number"] or None,
            "weight": data["weight"],
            "weight_unit": data["weight_unit"] if data["weight"] is not None else None,
            "dimensions": dimensions or None,
        }


@admin.register(Package)
class PackageAdmin(AccountScopedAdmin):
    # Narrow enough for 1366 px beside the filters: the order by its channel reference, the
    # warehouse by code; the carrier is a filter.
    list_display = (
        "public_id",
        "order_ref",
        "warehouse_code",
        "status",
        "tracking_number",
        "shipped_at",
        "pack_link",
    )
    list_filter = ("status", ("warehouse", admin.RelatedOnlyFieldListFilter), "carrier")
    search_fields = ("public_id", "tracking_number", "order__public_id", "order__external_id")
    list_select_related = ("order", "warehouse")
    inlines = [PackageLineInline, TrackingEventInline]
    actions = [
        "ship_and_print",
        "print_labels",
        "print_packing_slips",
        "void_selected",
        "mark_delivered",
    ]
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

    def has_ship_permission(self, request) -> bool:
        return self.allowed(request, "orders.ship_package")

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["can_ship"] = self.allowed(request, "orders.ship_package", obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description="order", ordering="order__external_id")
    def order_ref(self, obj):
        return f"{obj.order.channel}:{obj.order.external_id}"

    @admin.display(description="warehouse", ordering="warehouse__code")
    def warehouse_code(self, obj):
        return obj.warehouse.code

    @admin.display(description="packing")
    def pack_link(self, obj):
        if obj.status == Package.PENDING:
            return format_html(
                '<a href="{}">Pack</a>', reverse("admin:orders_package_pack", args=[obj.pk])
            )
        return self.label_link(obj)

    @admin.display(description="label")
    def label_link(self, obj):
        if obj.status in (Package.SHIPPED, Package.IN_TRANSIT, Package.DELIVERED):
            return format_html(
                '<a href="{}">Label</a>', reverse("admin:orders_package_label", args=[obj.pk])
            )
        return "—"

    def get_list_display(self, request):
        """Without the role to pack, the column offers labels only."""
        shown = super().get_list_display(request)
        if self.has_ship_permission(request):
            return shown
        return tuple("label_link" if c == "pack_link" else c for c in shown)

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/pack/", view(self.pack_view), name="orders_package_pack"),
            path("<int:pk>/label/", view(self.label_view), name="orders_package_label"),
            path("<int:pk>/track/", view(self.track_view), name="orders_package_track"),
        ]
        return own + super().get_urls()

    def _package(self, request, pk, perm: str = "orders.ship_package") -> Package:
        package = get_object_or_404(
            self.get_queryset(request).select_related("order", "warehouse"), pk=pk
        )
        if not self.allowed(request, perm, package):
            raise PermissionDenied
        return package

    # --- the packing station ---------------------------------------------------------------
    def pack_view(self, request, pk):
        package = self._package(request, pk)
        key = f"vectis-pack:{package.pk}"
        expected = picking.apply_scans(
            picking.expected_units(package), request.session.get(key, {})
        )
        ship_form = ShipForm(package=package)
        if request.method == "POST" and package.status == Package.PENDING:
            step = request.POST.get("step")
            if step == "scan":
                try:
                    item = picking.scan(expected, request.POST.get("code", ""))
                except picking.ScanRefused as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(
                        request, f"{item.product.sku}: {item.scanned} of {item.units}."
                    )
                request.session[key] = {str(pid): e.scanned for pid, e in expected.items()}
                return redirect(reverse("admin:orders_package_pack", args=[package.pk]))
            if step == "reset":
                request.session.pop(key, None)
                messages.info(request, "Scans cleared: start again.")
                return redirect(reverse("admin:orders_package_pack", args=[package.pk]))
            if step == "ship":
                ship_form = ShipForm(request.POST, package=package)
                if not picking.all_scanned(expected):
                    messages.error(request, "Scan every unit before shipping.")
                elif ship_form.is_valid():
                    try:
                        shipped = services.package_ship(
                            package=package, actor=actor(request), **ship_form.ship_kwargs()
                        )
                    except DomainError as exc:
                        messages.error(request, exc.message)
                    else:
                        request.session.pop(key, None)
                        messages.success(
                            request,
                            f"Shipped {shipped.public_id} with {shipped.carrier}, tracking "
                            f"{shipped.tracking_number}.",
                        )
                        url = reverse("admin:orders_package_pack", args=[package.pk])
                        return redirect(f"{url}?label=1")
        package.refresh_from_db()
        return self.page(
            request,
            "admin/orders/package/pack.html",
            f"Pack {package.public_id}",
            package=package,
            order=package.order,
            expected=list(expected.values()),
            complete=picking.all_scanned(expected),
            ship_form=ship_form,
            label_url=reverse("admin:orders_package_label", args=[package.pk]),
            open_label=request.GET.get("label") == "1" and package.status != Package.PENDING,
        )

    def label_view(self, request, pk):
        package = self._package(request, pk, perm="orders.view_package")
        try:
            document = labels.label_document(package, "pdf")
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("admin:orders_package_changelist"))
        response = HttpResponse(document.body, content_type=document.content_type)
        response["Content-Disposition"] = f'inline; filename="{document.filename}"'
        return response

    def track_view(self, request, pk):
        package = self._package(request, pk)
        form = TrackForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.package_track(
                    package=package,
                    status=form.cleaned_data["status"],
                    location=form.cleaned_data["location"],
                    description=form.cleaned_data["description"],
                    occurred_at=timezone.now(),
                    actor=actor(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"{package.public_id}: {form.cleaned_data['status']} recorded."
                )
                return redirect(reverse("admin:orders_package_change", args=[package.pk]))
        return self.page(request, FORM_PAGE, f"Tracking for {package.public_id}", form=form)

    # --- actions -----------------------------------------------------------------------------
    @admin.action(description="Ship selected packages and print their labels", permissions=["ship"])
    def ship_and_print(self, request, queryset):
        contents, failed = [], []
        for package in self.each_allowed(request, queryset.order_by("pk"), "orders.ship_package"):
            try:
                shipped = services.package_ship(package=package, actor=actor(request))
            except DomainError as exc:
                failed.append(f"{package.public_id}: {exc.message}")
                continue
            label = labels.current_label(shipped)
            if label is not None and label.rendered:
                contents.append(labels.content_for(shipped, label))
            else:
                failed.append(
                    f"{shipped.public_id}: shipped; its label is the carrier's own document, "
                    "not printable here."
                )
        for line in failed:
            self.message_user(request, line, level=messages.ERROR)
        if not contents:
            return None
        response = HttpResponse(labels.render_pdf(contents), content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="labels.pdf"'
        return response

    @admin.action(description="Void the labels of selected packages", permissions=["ship"])
    def void_selected(self, request, queryset):
        for package in self.each_allowed(request, queryset.order_by("pk"), "orders.ship_package"):
            try:
                services.package_void(package=package, actor=actor(request))
            except DomainError as exc:
                self.message_user(request, f"{package.public_id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{package.public_id}: label voided, pending again.")

    @admin.action(description="Mark selected packages delivered", permissions=["ship"])
    def mark_delivered(self, request, queryset):
        for package in self.each_allowed(request, queryset.order_by("pk"), "orders.ship_package"):
            try:
                services.package_track(
                    package=package,
                    status="delivered",
                    description="marked delivered in the admin",
                    occurred_at=timezone.now(),
                    actor=actor(request),
                )
            except DomainError as exc:
                self.message_user(request, f"{package.public_id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{package.public_id}: delivered.")

    @admin.action(description="Print packing slips (one PDF)", permissions=["ship"])
    def print_packing_slips(self, request, queryset):
        # `queryset` is the user's accounts' packages already
        order_ids = set(queryset.values_list("order_id", flat=True))
        return packing_slips_response(order_ids, Order.objects.all())

    @admin.action(description="Print labels (one PDF)", permissions=["ship"])
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


def packing_slips_response(order_ids, orders) -> HttpResponse:
    """One PDF with the packing slip of each order (its packages and lines)."""
    chosen = orders.filter(pk__in=list(order_ids)).prefetch_related("packages__warehouse")
    slips = [(order, list(order.packages.all())) for order in chosen.order_by("pk")]
    response = HttpResponse(labels.render_packing_slips(slips), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="packing-slips.pdf"'
    return response
