from django import forms
from django.contrib import admin

from catalog import services
from catalog.models import KitComponent, Product, SkuAlias
from vectis.accounts.admin_scoping import AccountScopedAdmin


class KitComponentInline(admin.TabularInline):
    model = KitComponent
    fk_name = "kit"
    fields = ("component", "quantity")
    readonly_fields = fields  # changed through the API or the product form's services
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class SkuAliasInline(admin.TabularInline):
    model = SkuAlias
    fields = ("channel", "alias", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = (
            "account",
            "sku",
            "name",
            "description",
            "barcode",
            "hs_code",
            "country_of_origin",
            "weight",
            "weight_unit",
            "length",
            "width",
            "height",
            "dimension_unit",
            "cost",
            "price",
            "currency",
            "tracking",
            "low_stock_threshold",
            "active",
            "metadata",
        )


@admin.register(Product)
class ProductAdmin(AccountScopedAdmin):
    form = ProductAdminForm
    list_display = ("sku", "name", "type", "barcode", "price", "active", "account", "updated_at")
    list_filter = ("active", "type", "tracking", ("account", admin.RelatedOnlyFieldListFilter))
    search_fields = ("sku", "name", "barcode", "public_id")
    readonly_fields = ("public_id", "type", "created_at", "updated_at")
    inlines = [KitComponentInline, SkuAliasInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "sku", "account"] if obj else fields

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.PRODUCT_FIELDS if f in form.cleaned_data}
        data["dimensions"] = {
            "length": form.cleaned_data.get("length"),
            "width": form.cleaned_data.get("width"),
            "height": form.cleaned_data.get("height"),
            "unit": form.cleaned_data.get("dimension_unit"),
        }
        if change:
            saved = services.product_update(product=obj, data=data)
        else:
            data["sku"] = form.cleaned_data["sku"]
            saved = services.product_create(account=form.cleaned_data["account"], data=data)
        obj.pk, obj.public_id = saved.pk, saved.public_id

    def save_formset(self, request, form, formset, change):
        if formset.model is SkuAlias:
            for alias in formset.save(commit=False):
                if alias.pk is None:
                    services.alias_create(
                        product=form.instance, channel=alias.channel, alias=alias.alias
                    )
                else:
                    alias.save()
            for removed in formset.deleted_objects:
                services.alias_delete(alias=removed)
        else:
            formset.save()


@admin.register(SkuAlias)
class SkuAliasAdmin(AccountScopedAdmin):
    list_display = ("channel", "alias", "product", "account", "created_at")
    list_filter = ("channel",)
    search_fields = ("alias", "product__sku", "product__name")
    list_select_related = ("product",)
    readonly_fields = ("public_id", "account", "product", "created_at")

    def has_add_permission(self, request):
        return False
