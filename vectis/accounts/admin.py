from django.contrib import admin

from vectis.accounts.admin_scoping import AccountScopedAdmin, member_account_ids
from vectis.accounts.models import Account, ApiClient, Membership


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "active", "auto_allocate", "created_at")
    search_fields = ("name", "public_id")
    list_filter = ("active",)
    readonly_fields = ("public_id", "created_at", "updated_at")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = member_account_ids(request.user)
        return queryset if ids is None else queryset.filter(id__in=ids)


@admin.register(ApiClient)
class ApiClientAdmin(AccountScopedAdmin):
    list_display = ("name", "account", "client_id", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "application__client_id", "account__name")
    readonly_fields = ("public_id", "application", "created_at", "updated_at")
    fields = ("public_id", "account", "name", "scopes", "active", "application")
    list_select_related = ("account", "application")

    def has_add_permission(self, request):
        # Clients are created with `manage.py create_api_client`, the only place that shows
        # the secret.
        return False


@admin.register(Membership)
class MembershipAdmin(AccountScopedAdmin):
    list_display = ("user", "account", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "account__name")
    autocomplete_fields = ("user",)
