"""Warehouse staff: stock and the ledger are read-only here; adjust and transfer go through forms
that call the same services as the API."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse

from catalog.models import Product
from inventory import services
from inventory.models import (
    ADJUST_REASONS,
    MAX_ON_HAND,
    MAX_UNITS,
    LowStockRule,
    Reservation,
    StockLevel,
    StockMovement,
)
from inventory.selectors import with_stock_totals
from vectis.accounts import roles
from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin, actor
from vectis.admin_export import CsvExportMixin
from vectis.errors import DomainError
from warehouses.models import Location


class ReadOnlyAdmin(AccountScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _scoped(queryset, user):
    """Rows of the accounts in which the user may move stock."""
    ids = roles.accounts_where(user, "inventory.move_stock")
    return queryset if ids is None else queryset.filter(account_id__in=ids)


class _StockForm(forms.Form):
    scan = forms.CharField(
        required=False,
        max_length=64,
        label="Scan",
        help_text="A SKU or barcode; fills in the product.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    product = forms.ModelChoiceField(queryset=Product.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Typing finds the product among thousands (the products list's search, tenant-scoped);
        # the widget first, so that setting the queryset gives it the choices.
        self.fields["product"].widget = AutocompleteSelect(
            StockLevel._meta.get_field("product"), admin.site
        )
        self.fields["product"].queryset = _scoped(
            Product.objects.filter(type=Product.TYPE_SIMPLE).order_by("sku"), user
        )
        locations = _scoped(Location.objects.select_related("warehouse"), user).order_by(
            "warehouse__code", "code"
        )
        for name, field in self.fields.items():
            if name.endswith("location"):
                field.queryset = locations

    def clean(self):
        data = super().clean()
        code = (data.get("scan") or "").strip()
        if code and not data.get("product"):
            products = self.fields["product"].queryset
            found = list(products.filter(Q(sku__iexact=code) | Q(barcode=code))[:2])
            if len(found) != 1:
                self.add_error("scan", f"No product (or more than one) has SKU or barcode {code}.")
            else:
                data["product"] = found[0]
        if not data.get("product") and not self.has_error("scan"):
            self.add_error("product", "Choose a product, or scan it.")
        return data

    def product_found(self):
        """The product named by the scan or chosen, when that much of the form is valid."""
        return getattr(self, "cleaned_data", {}).get("product")

    def _same_account(self, *names) -> None:
        rows = [self.cleaned_data.get(n) for n in ("product", *names)]
        if all(rows) and len({row.account_id for row in rows}) != 1:
            raise forms.ValidationError("The product and the locations belong to one account.")


def _levels(product) -> list[StockLevel]:
    """Where the product is and how much: on hand, reserved, available per bin."""
    if product is None:
        return []
    return list(
        StockLevel.objects.filter(product=product)
        .select_related("location__warehouse")
        .order_by("location__warehouse__code", "location__code")
    )


class AdjustForm(_StockForm):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    quantity = forms.IntegerField(
        required=False, min_value=-MAX_UNITS, max_value=MAX_UNITS, help_text="Signed, e.g. -2."
    )
    set_on_hand = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_ON_HAND, help_text="Or a counted total."
    )
    expected_on_hand = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ON_HAND,
        help_text="Refuse if on hand is no longer this.",
    )
    reason = forms.ChoiceField(choices=[(r, r.replace("_", " ")) for r in ADJUST_REASONS])
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if (data.get("quantity") is None) == (data.get("set_on_hand") is None):
            raise forms.ValidationError("Fill in exactly one of quantity or set on hand.")
        if data.get("quantity") == 0:
            self.add_error("quantity", "quantity must not be 0.")
        self._same_account("location")
        return data


class TransferForm(_StockForm):
    from_location = forms.ModelChoiceField(queryset=Location.objects.none())
    to_location = forms.ModelChoiceField(queryset=Location.objects.none())
    quantity = forms.IntegerField(min_value=1, max_value=MAX_UNITS)
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        self._same_account("from_location", "to_location")
        return data


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

    def _form_page(self, request, form, title, product=None):
        product = product or form.product_found()
        return self.page(
            request,
            FORM_PAGE,
            title,
            form=form,
            lookup=True,
            product=product,
            levels=_levels(product),
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
