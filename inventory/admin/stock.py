"""Warehouse staff: stock and the ledger are read-only here; adjust and transfer go through forms
that call the same services as the API."""

import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.shortcuts import redirect
from django.urls import path, reverse

from inventory import services
from inventory.admin.forms import AdjustForm, ImportStockForm, TransferForm, levels_of
from inventory.models import (
    LowStockRule,
    Reservation,
    StockLevel,
    StockMovement,
)
from inventory.selectors import with_stock_totals
from inventory.stock_csv import ImportRejected, import_stock
from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin, actor
from vectis.admin_export import CsvExportMixin
from vectis.csvimport import Unreadable
from vectis.errors import DomainError


class ReadOnlyAdmin(AccountScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(CsvExportMixin, ReadOnlyAdmin):
    export_columns = [
        ("sku", "product__sku"),
        ("warehouse", "warehouse__code"),
        ("location", "location__code"),
        ("on_hand", "on_hand"),
        ("reserved", "reserved"),
        ("updated_at", "updated_at"),
    ]
    list_display = ("product", "warehouse", "location", "on_hand", "reserved", "available")
    list_filter = (
        ("warehouse", admin.RelatedOnlyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("product__sku", "product__name", "location__code")
    list_select_related = ("product", "warehouse", "location__warehouse")
    change_list_template = "admin/inventory/stocklevel/change_list.html"

    @admin.display(description="available")
    def available(self, obj) -> int:
        return obj.available

    def has_move_permission(self, request) -> bool:
        return self.allowed(request, "inventory.move_stock")

    def changelist_view(self, request, extra_context=None):
        extra = {"can_move_stock": self.has_move_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_urls(self):
        own = [
            path("adjust/", self.admin_site.admin_view(self.adjust_view), name="inventory_adjust"),
            path(
                "transfer/",
                self.admin_site.admin_view(self.transfer_view),
                name="inventory_transfer",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="inventory_import",
            ),
        ]
        return own + super().get_urls()

    def _looked_up(self, request, form_class, title):
        """The "Look up" button: find the product by scan or choice and show its stock, before
        anything is moved."""
        probe = form_class(request.POST, user=request.user)
        probe.is_valid()
        product = probe.product_found()
        if product is None:
            messages.error(
                request, " ".join(probe.errors.get("scan", [])) or "Scan or choose a product."
            )
        initial = {
            k: v for k, v in request.POST.items() if k not in ("scan", "csrfmiddlewaretoken")
        }
        initial["product"] = product.pk if product else None
        form = form_class(initial=initial, user=request.user)
        return self._form_page(request, form, title, product=product)

    def adjust_view(self, request):
        if not self.has_move_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("step") == "lookup":
            return self._looked_up(request, AdjustForm, "Adjust stock")
        form = AdjustForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                change = services.adjust(
                    product=data["product"],
                    location=data["location"],
                    reason=data["reason"],
                    quantity=data["quantity"],
                    set_on_hand=data["set_on_hand"],
                    expected_on_hand=data["expected_on_hand"],
                    note=data["note"],
                    actor=actor(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                movement = change.movements[0]
                messages.success(
                    request,
                    f"{movement.product.sku} at {data['location']}: {movement.quantity:+d}, "
                    f"now {movement.on_hand_after} on hand.",
                )
                return redirect(reverse("admin:inventory_stocklevel_changelist"))
        return self._form_page(request, form, "Adjust stock")

    def transfer_view(self, request):
        if not self.has_move_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("step") == "lookup":
            return self._looked_up(request, TransferForm, "Transfer stock")
        form = TransferForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.transfer(
                    product=data["product"],
                    from_location=data["from_location"],
                    to_location=data["to_location"],
                    quantity=data["quantity"],
                    note=data["note"],
                    actor=actor(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"Moved {data['quantity']} units of {data['product'].sku} from "
                    f"{data['from_location']} to {data['to_location']}.",
                )
                return redirect(reverse("admin:inventory_stocklevel_changelist"))
        return self._form_page(request, form, "Transfer stock")

    def import_view(self, request):
        """Counts or adjustments from a CSV file, through the same bulk service as the API."""
        if not self.has_move_permission(request):
            raise PermissionDenied
        form = ImportStockForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            stream = io.TextIOWrapper(data["file"].file, encoding="utf-8", errors="surrogateescape")
            try:
                report = import_stock(
                    data["account"], stream, atomic=data["atomic"], actor=actor(request)
                )
            except ImportRejected as exc:
                report = exc.report
                messages.error(request, f"{exc} " + " ".join(report.problems[:10]))
            except (CommandError, Unreadable) as exc:
                form.add_error("file", str(exc))
                return self.page(request, FORM_PAGE, "Import stock", form=form)
            else:
                level = messages.WARNING if report.problems else messages.SUCCESS
                messages.add_message(
                    request,
                    level,
                    f"{report.rows} {report.mode} rows: {report.applied} applied, "
                    f"{report.unchanged} unchanged, {report.stale} stale, {report.failed} "
                    "refused. " + " ".join(report.problems[:10]),
                )
            return redirect(reverse("admin:inventory_stocklevel_changelist"))
        return self.page(request, FORM_PAGE, "Import stock", form=form)

    def _form_page(self, request, form, title, product=None):
        product = product or form.product_found()
        return self.page(
            request,
            FORM_PAGE,
            title,
            form=form,
            lookup=True,
            product=product,
            levels=levels_of(product),
            media=self.media + form.media,
        )


@admin.register(StockMovement)
class StockMovementAdmin(CsvExportMixin, ReadOnlyAdmin):
    change_list_template = "admin/export_change_list.html"
    export_columns = [
        ("id", "public_id"),
        ("created_at", "created_at"),
        ("sku", "product__sku"),
        ("warehouse", "location__warehouse__code"),
        ("location", "location__code"),
        ("quantity", "quantity"),
        ("on_hand_after", "on_hand_after"),
        ("reason", "reason"),
        ("reference", "reference"),
        ("note", "note"),
        ("actor", "actor"),
    ]
    list_display = (
        "created_at",
        "sku",
        "location",
        "quantity",
        "on_hand_after",
        "reason",
        "reference",
        "actor",
    )
    list_display_links = ("created_at",)
    list_filter = (
        "reason",
        ("warehouse", admin.RelatedOnlyFieldListFilter),
        ("location", admin.RelatedOnlyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("public_id", "product__sku", "reference", "note")

    @admin.display(description="SKU", ordering="product__sku")
    def sku(self, obj):
        return obj.product.sku

    list_select_related = ("product", "location__warehouse")
    date_hierarchy = "created_at"


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "product",
        "warehouse",
        "quantity",
        "status",
        "reference",
        "expires_at",
        "created_at",
    )
    list_filter = (
        "status",
        ("warehouse", admin.RelatedOnlyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("public_id", "reference", "product__sku")
    list_select_related = ("product", "warehouse")
    actions = ["release_selected"]

    def has_release_permission(self, request) -> bool:
        return self.allowed(request, "inventory.release_reservation")

    @admin.action(description="Release selected reservations", permissions=["release"])
    def release_selected(self, request, queryset):
        allowed = self.each_allowed(request, queryset, "inventory.release_reservation")
        by_account: dict[int, list[int]] = {}
        for reservation in allowed:
            by_account.setdefault(reservation.account_id, []).append(reservation.pk)
        released = 0
        for account_id, ids in sorted(by_account.items()):
            result = services.release(account_id=account_id, reservation_ids=ids)
            released += len(result.released)
        self.message_user(request, f"Released {released} reservation(s).")


class LowStockRuleForm(forms.ModelForm):
    class Meta:
        model = LowStockRule
        fields = ("threshold",)


@admin.register(LowStockRule)
class LowStockRuleAdmin(AccountScopedAdmin):
    form = LowStockRuleForm
    list_display = (
        "product",
        "warehouse",
        "on_hand",
        "available",
        "threshold",
        "effective_threshold",
        "is_low",
        "low_since",
    )
    list_filter = ("is_low", ("warehouse", admin.RelatedOnlyFieldListFilter))
    search_fields = ("product__sku",)
    readonly_fields = ("product", "warehouse", "is_low", "low_since")
    list_select_related = ("product", "warehouse")

    def get_queryset(self, request):
        """With the stock of each (product, warehouse), in the list's one query."""
        return with_stock_totals(super().get_queryset(request))

    @admin.display(description="on hand", ordering="on_hand_sum")
    def on_hand(self, obj):
        return obj.on_hand_sum or 0

    @admin.display(description="available", ordering="available_sum")
    def available(self, obj):
        return obj.available_sum or 0

    @admin.display(description="threshold in force")
    def effective_threshold(self, obj):
        value = obj.threshold_in_force
        return "—" if value is None else value

    def has_add_permission(self, request):
        return False  # rules are created per product and warehouse by the API or on demand

    def save_model(self, request, obj, form, change):
        services.set_threshold(
            product=obj.product, warehouse=obj.warehouse, threshold=form.cleaned_data["threshold"]
        )
