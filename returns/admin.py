"""Staff: returns, and a receiving screen (find by RMA number or order external id in the list,
then enter what arrived) that calls the same service as the API."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from returns import services
from returns.models import CONDITIONS, DISPOSITIONS, Return, ReturnLine
from vectis.accounts.admin_scoping import AccountScopedAdmin, actor
from vectis.errors import DomainError


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    fields = ("order_line", "quantity", "reason", "quantity_received", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReceiveLineForm(forms.Form):
    line_id = forms.IntegerField(widget=forms.HiddenInput)
    quantity_received = forms.IntegerField(min_value=0, initial=0)
    condition = forms.ChoiceField(choices=[(c, c) for c in CONDITIONS])
    disposition = forms.ChoiceField(choices=[(d, d) for d in DISPOSITIONS])


ReceiveFormSet = forms.formset_factory(ReceiveLineForm, extra=0)


@admin.register(Return)
class ReturnAdmin(AccountScopedAdmin):
    list_display = ("rma_number", "order", "status", "warehouse", "created_at", "receive_link")
    list_filter = (
        "status",
        ("warehouse", admin.RelatedOnlyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("rma_number", "public_id", "order__external_id", "order__public_id")
    list_select_related = ("order", "warehouse")
    inlines = [ReturnLineInline]
    fields = ("public_id", "rma_number", "order", "status", "warehouse", "refund", "notes")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="receive")
    def receive_link(self, obj):
        if obj.status != Return.AUTHORIZED:
            return "—"
        url = reverse("admin:returns_receive", args=[obj.pk])
        return format_html('<a href="{}">Receive</a>', url)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="returns_receive",
            )
        ]
        return own + super().get_urls()

    def receive_view(self, request, pk):
        ret = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.allowed(request, "returns.receive_return", ret):
            raise PermissionDenied
        lines = list(ret.lines.select_related("order_line"))
        initial = [{"line_id": line.pk} for line in lines]
        formset = ReceiveFormSet(request.POST or None, initial=initial)
        if request.method == "POST" and formset.is_valid():
            by_pk = {line.pk: line for line in lines}
            items = [
                {
                    "order_line_id": by_pk[form.cleaned_data["line_id"]].order_line.public_id,
                    "quantity_received": form.cleaned_data["quantity_received"],
                    "condition": form.cleaned_data["condition"],
                    "disposition": form.cleaned_data["disposition"],
                }
                for form in formset
                if form.cleaned_data.get("quantity_received")
                and form.cleaned_data["line_id"] in by_pk
            ]
            try:
                if not items:
                    raise DomainError("Enter at least one received quantity.")
                services.return_receive(ret=ret, items=items, actor=actor(request))
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    f"Received {sum(i['quantity_received'] for i in items)}"
                    f" units on {ret.rma_number}.",
                )
                return redirect(reverse("admin:returns_return_changelist"))
        rows = list(zip(lines, formset.forms, strict=True)) if lines else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Receive {ret.rma_number}",
            "ret": ret,
            "formset": formset,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/returns/receive.html", context)
