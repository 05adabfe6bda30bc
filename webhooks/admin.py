from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone

from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin
from vectis.errors import DomainError
from webhooks import services
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

    change_form_template = "admin/webhooks/webhookendpoint/change_form.html"

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["can_redeliver"] = self.allowed(request, "webhooks.redeliver_delivery", obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view(self.redeliver_view)
        own = [path("<int:pk>/redeliver/", view, name="webhooks_endpoint_redeliver")]
        return own + super().get_urls()

    def redeliver_view(self, request, pk):
        """Send again everything the endpoint missed since a time (endpoint_recover)."""
        endpoint = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.allowed(request, "webhooks.redeliver_delivery", endpoint):
            raise PermissionDenied
        initial = {"since": timezone.now() - timedelta(hours=24)}
        form = RedeliverForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                count = services.endpoint_recover(
                    endpoint=endpoint, since=form.cleaned_data["since"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"{endpoint.public_id}: {count} delivery(ies) queued to send again."
                )
                return redirect(reverse("admin:webhooks_webhookendpoint_change", args=[pk]))
        return self.page(request, FORM_PAGE, f"Redeliver to {endpoint.url}", form=form)


class RedeliverForm(forms.Form):
    since = forms.DateTimeField(
        help_text="Failed, waiting and never-created deliveries of events since then "
        "(YYYY-MM-DD HH:MM, server time)."
    )


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
    actions = ["redeliver_selected"]

    def has_redeliver_permission(self, request) -> bool:
        return self.allowed(request, "webhooks.redeliver_delivery")

    @admin.action(description="Redeliver selected deliveries now", permissions=["redeliver"])
    def redeliver_selected(self, request, queryset):
        chosen = self.each_allowed(request, queryset.order_by("pk"), "webhooks.redeliver_delivery")
        for delivery in chosen:
            try:
                services.delivery_redeliver(delivery=delivery)
            except DomainError as exc:
                self.message_user(request, f"{delivery.public_id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{delivery.public_id}: queued to send again.")

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
