from django.contrib import admin
from django.db.models import Q

from vectis.accounts.admin_scoping import AccountScopedAdmin
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [("failing", "failing or disabled"), ("healthy", "healthy")]

    def queryset(self, request, queryset):
        bad = Q(failing_since__isnull=False) | (Q(active=False) & ~Q(disabled_reason=""))
        if self.value() == "failing":
            return queryset.filter(bad)
        if self.value() == "healthy":
            return queryset.exclude(bad)
        return queryset


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AccountScopedAdmin):
    list_display = (
        "public_id",
        "url",
        "account",
        "active",
        "failing_since",
        "disabled_reason",
        "created_at",
    )
    list_filter = ("active", HealthFilter, ("account", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "url", "description")
    readonly_fields = (
        "public_id",
        "account",
        "url",
        "events",
        "secret_rotated_at",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "created_at",
        "updated_at",
    )
    exclude = ("secret",)

    def has_add_permission(self, request):
        return False  # registered through the API, which runs the SSRF checks

    def has_delete_permission(self, request, obj=None):
        return False  # deleted through the API; deactivate here


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "attempted_at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(AccountScopedAdmin):
    list_display = ("public_id", "event_type", "endpoint", "status", "attempt_count", "created_at")
    list_filter = ("status", "event_type")
    search_fields = ("public_id", "event__public_id", "endpoint__public_id")
    list_select_related = ("endpoint",)
    inlines = [DeliveryAttemptInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the delivery log is kept


@admin.register(Event)
class EventAdmin(AccountScopedAdmin):
    list_display = ("public_id", "type", "account", "created_at", "fanned_out_at")
    list_filter = ("type",)
    search_fields = ("public_id",)
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
