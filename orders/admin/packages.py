"""Staff: packages — pick, pack, label, ship and track; actions call the services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from orders import labels, picking, services
from orders.admin.common import ReadOnlyInline, packing_slips_response
from orders.models import Order, Package, PackageLine, TrackingEvent
from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin, actor
from vectis.errors import DomainError


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
