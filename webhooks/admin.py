from django.contrib import admin

from vectis.accounts.admin_scoping import AccountScopedAdmin
from webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AccountScopedAdmin):
    list_display = ("public_id", "url", "account", "active", "disabled_reason", "created_at")
    list_filter = ("active",)
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
