"""The adjust and transfer forms of the stock admin (by scan or by picking product and bin)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Q

from catalog.models import Product
from inventory.models import (
    ADJUST_REASONS,
    MAX_ON_HAND,
    MAX_UNITS,
    StockLevel,
)
from vectis.accounts import roles
from warehouses.models import Location


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


def levels_of(product) -> list[StockLevel]:
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


class ImportStockForm(forms.Form):
    """A CSV of counts (`on_hand`) or adjustments (`quantity`) for one account."""

    account = forms.ModelChoiceField(queryset=None)
    file = forms.FileField(
        help_text="CSV with a header row: sku, warehouse (code), location (bin code, optional), "
        "on_hand (and expected_on_hand) or quantity, reason, note."
    )
    atomic = forms.BooleanField(required=False, help_text="All rows or none.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from vectis.accounts.models import Account

        ids = roles.accounts_where(user, "inventory.move_stock")
        accounts = Account.objects.all() if ids is None else Account.objects.filter(id__in=ids)
        self.fields["account"].queryset = accounts.order_by("name")
        if accounts.count() == 1:
            self.fields["account"].initial = accounts.get()
