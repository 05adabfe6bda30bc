from django import forms
from django.contrib import admin

from vectis.accounts.admin_scoping import AccountScopedAdmin, member_account_ids
from warehouses import services
from warehouses.exceptions import DefaultLocationRequired
from warehouses.models import Location, Warehouse


class LocationInline(admin.TabularInline):
    model = Location
    fields = ("code", "name", "pickable", "active", "is_default")
    readonly_fields = fields  # bins are edited on their own page, through the services
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Warehouse)
class WarehouseAdmin(AccountScopedAdmin):
    list_display = ("code", "name", "account", "priority", "active", "created_at")
    list_filter = ("active", ("account", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "public_id")
    readonly_fields = ("public_id", "created_at", "updated_at")
    inlines = [LocationInline]

    def save_model(self, request, obj, form, change):
        data = {
            f: form.cleaned_data[f] for f in services.WAREHOUSE_FIELDS if f in form.cleaned_data
        }
        if change:
            services.warehouse_update(warehouse=obj, data=data)
        else:
            created = services.warehouse_create(account=form.cleaned_data["account"], data=data)
            obj.pk, obj.public_id = created.pk, created.public_id


class LocationAdminForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ("warehouse", "code", "name", "pickable", "active")

    def clean_active(self):
        active = self.cleaned_data.get("active")
        if self.instance.pk and self.instance.is_default and active is False:
            raise forms.ValidationError(DefaultLocationRequired.default_message)
        return active


@admin.register(Location)
class LocationAdmin(AccountScopedAdmin):
    form = LocationAdminForm
    list_display = ("code", "warehouse", "name", "pickable", "active", "is_default")
    list_filter = ("pickable", "active", ("warehouse", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "public_id", "warehouse__code")
    readonly_fields = ("public_id", "is_default", "account", "created_at", "updated_at")
    list_select_related = ("warehouse",)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "warehouse"] if obj else fields

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.LOCATION_FIELDS if f in form.cleaned_data}
        if change:
            services.location_update(location=obj, data=data)
        else:
            created = services.location_create(warehouse=form.cleaned_data["warehouse"], data=data)
            obj.pk, obj.public_id = created.pk, created.public_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = member_account_ids(request.user)
        if db_field.name == "warehouse" and ids is not None:
            kwargs["queryset"] = Warehouse.objects.filter(account_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
