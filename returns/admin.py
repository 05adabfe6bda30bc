"""Staff: returns. Managers authorize (receiving warehouse, refund record, return label), reject
and cancel them; operators receive what arrived (restock, quarantine and scrap of one line in one
submission, into a chosen bin) and close them. Everything goes through returns.services."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from returns import services
from returns.models import CONDITIONS, Return, ReturnLine, ReturnReceipt
from vectis.accounts.admin_scoping import FORM_PAGE, AccountScopedAdmin, actor
from vectis.currencies import CURRENCY_CODES
from vectis.errors import DomainError
from warehouses.models import Location, Warehouse

MAX_UNITS = 1_000_000


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    fields = ("order_line", "quantity", "reason", "quantity_received", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order_line")


class RefundFields(forms.Form):
    refund_amount = forms.DecimalField(
        required=False, min_value=0, max_digits=14, decimal_places=4, label="Refund amount"
    )
    refund_currency = forms.ChoiceField(required=False, label="Currency")
    refund_reference = forms.CharField(required=False, max_length=200, label="Reference")
    refund_status = forms.ChoiceField(
        choices=[("pending", "pending"), ("issued", "issued"), ("failed", "failed")],
        required=False,
        label="Refund status",
    )

    def __init__(self, *args, currency: str = "USD", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refund_currency"].choices = [(c, c) for c in sorted(CURRENCY_CODES)]
        self.fields["refund_currency"].initial = currency

    def refund(self) -> dict | None:
        data = self.cleaned_data
        if data.get("refund_amount") is None:
            return None
        return services.refund_record(
            {
                "amount": Decimal(data["refund_amount"]),
                "currency": data["refund_currency"] or "USD",
                "reference": data["refund_reference"],
                "status": data["refund_status"] or "pending",
            }
        )


class AuthorizeForm(RefundFields):
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.none(),
        required=False,
        help_text="Where the units come back to. Empty: the warehouse the order shipped from.",
    )
    label = forms.BooleanField(required=False, label="Issue a return label")

    field_order = ["warehouse", "label"]

    def __init__(self, *args, ret: Return, **kwargs):
        super().__init__(*args, currency=ret.order.currency, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.filter(
            account_id=ret.account_id, active=True
        ).order_by("code")


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(RefundFields):
    def __init__(self, *args, ret: Return, **kwargs):
        super().__init__(*args, currency=ret.order.currency, **kwargs)


class ReceiveLineForm(forms.Form):
    """One return line: how many units go to each disposition, in this one submission."""

    line_id = forms.IntegerField(widget=forms.HiddenInput)
    condition = forms.ChoiceField(choices=[(c, c) for c in CONDITIONS])
    restock = forms.IntegerField(min_value=0, max_value=MAX_UNITS, initial=0)
    restock_location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="default bin"
    )
    quarantine = forms.IntegerField(min_value=0, max_value=MAX_UNITS, initial=0)
    quarantine_location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="quarantine bin"
    )
    scrap = forms.IntegerField(min_value=0, max_value=MAX_UNITS, initial=0)

    def __init__(self, *args, locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        pickable = [loc.pk for loc in locations if loc.pickable]
        held = [loc.pk for loc in locations if not loc.pickable]
        self.fields["restock_location"].queryset = Location.objects.filter(pk__in=pickable)
        self.fields["quarantine_location"].queryset = Location.objects.filter(pk__in=held)

    def items(self, order_line_id: str) -> list[dict]:
        data = self.cleaned_data
        out = []
        for disposition in ("restock", "quarantine", "scrap"):
            quantity = data.get(disposition) or 0
            if not quantity:
                continue
            item = {
                "order_line_id": order_line_id,
                "quantity_received": quantity,
                "condition": data["condition"],
                "disposition": disposition,
            }
            location = data.get(f"{disposition}_location")
            if location is not None:
                item["location"] = location
            out.append(item)
        return out


class BaseReceiveFormSet(forms.BaseFormSet):
    def __init__(self, *args, locations=(), **kwargs):
        self.locations = locations
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "locations": self.locations}


ReceiveFormSet = forms.formset_factory(ReceiveLineForm, formset=BaseReceiveFormSet, extra=0)

DECISIONS = {
    # name: (permission, form, from statuses, title)
    "authorize": ("returns.decide_return", AuthorizeForm, (Return.REQUESTED,), "Authorize"),
    "reject": (
        "returns.decide_return",
        RejectForm,
        (Return.REQUESTED, Return.AUTHORIZED),
        "Reject",
    ),
    "cancel": ("returns.decide_return", None, (Return.REQUESTED, Return.AUTHORIZED), "Cancel"),
    "close": ("returns.receive_return", CloseForm, (Return.RECEIVED,), "Close"),
}


@admin.register(Return)
class ReturnAdmin(AccountScopedAdmin):
    list_display = (
        "rma_number",
        "order",
        "status",
        "warehouse",
        "units",
        "created_at",
        "next_step",
    )
    list_filter = (
        "status",
        ("warehouse", admin.RelatedOnlyFieldListFilter),
        ("account", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("rma_number", "public_id", "order__external_id", "order__public_id")
    list_select_related = ("order", "warehouse")
    inlines = [ReturnLineInline]
    fields = (
        "public_id",
        "rma_number",
        "order",
        "status",
        "warehouse",
        "refund",
        "reject_reason",
        "label_carrier",
        "label_tracking_number",
        "notes",
        "receipts",
    )
    readonly_fields = fields
    change_form_template = "admin/returns/return/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(unit_count=Sum("lines__quantity"))

    @admin.display(description="receipts (what arrived and where it went)")
    def receipts(self, obj):
        rows = (
            ReturnReceipt.objects.filter(line__ret=obj)
            .select_related("line__order_line", "location")
            .order_by("id")
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.created_at.strftime("%Y-%m-%d %H:%M"),
                    r.line.order_line.sku,
                    r.quantity,
                    r.condition,
                    r.disposition,
                    r.location.code if r.location else "—",
                    r.actor,
                )
                for r in rows
            ),
        )
        if not body:
            return "Nothing received yet."
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            "when", "SKU", "units", "condition", "disposition", "bin", "by",
        )  # fmt: skip
        return format_html('<table class="receipts">{}{}</table>', head, body)

    @admin.display(description="units")
    def units(self, obj):
        return obj.unit_count

    @admin.display(description="next")
    def next_step(self, obj):
        if obj.status == Return.AUTHORIZED:
            url = reverse("admin:returns_receive", args=[obj.pk])
            return format_html('<a href="{}">Receive</a>', url)
        if obj.status == Return.REQUESTED:
            url = reverse("admin:returns_authorize", args=[obj.pk])
            return format_html('<a href="{}">Authorize</a>', url)
        if obj.status == Return.RECEIVED:
            url = reverse("admin:returns_close", args=[obj.pk])
            return format_html('<a href="{}">Close</a>', url)
        return "—"

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["decisions"] = [
                (name, title, reverse(f"admin:returns_{name}", args=[obj.pk]))
                for name, (perm, _, statuses, title) in DECISIONS.items()
                if obj.status in statuses and self.allowed(request, perm, obj)
            ]
            context["can_receive"] = obj.status == Return.AUTHORIZED and self.allowed(
                request, "returns.receive_return", obj
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<int:pk>/receive/", view(self.receive_view), name="returns_receive"),
        ] + [
            # one path per decision: "<int:pk>/<str:…>/" would also catch Django's own change/
            path(
                f"<int:pk>/{name}/",
                view(self.decide_view),
                {"decision": name},
                name=f"returns_{name}",
            )
            for name in DECISIONS
        ]
        return own + super().get_urls()

    def _return(self, request, pk, perm: str) -> Return:
        ret = get_object_or_404(self.get_queryset(request).select_related("order"), pk=pk)
        if not self.allowed(request, perm, ret):
            raise PermissionDenied
        return ret

    def decide_view(self, request, pk, decision):
        if decision not in DECISIONS:
            raise PermissionDenied
        perm, form_class, _, title = DECISIONS[decision]
        ret = self._return(request, pk, perm)
        posted = request.POST if request.method == "POST" else None  # may be empty and valid
        if form_class is None:
            form = None  # cancel: a confirmation, nothing to fill in
        elif form_class is RejectForm:
            form = RejectForm(posted)
        else:
            form = form_class(posted, ret=ret)
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                self._decide(decision, ret, form, actor(request))
            except DomainError as exc:
                if form is None:
                    messages.error(request, exc.message)
                    return redirect(reverse("admin:returns_return_change", args=[ret.pk]))
                form.add_error(None, exc.message)
            else:
                ret.refresh_from_db()
                messages.success(request, f"{ret.rma_number}: {ret.status}.")
                return redirect(reverse("admin:returns_return_change", args=[ret.pk]))
        return self.page(
            request,
            FORM_PAGE,
            f"{title} {ret.rma_number}",
            form=form if form is not None else forms.Form(),
        )

    @staticmethod
    def _decide(decision: str, ret: Return, form, who: str) -> None:
        if decision == "authorize":
            services.return_authorize(
                ret=ret,
                warehouse=form.cleaned_data["warehouse"],
                refund=form.refund(),
                label=form.cleaned_data["label"],
                actor=who,
            )
        elif decision == "reject":
            services.return_reject(ret=ret, reason=form.cleaned_data["reason"], actor=who)
        elif decision == "cancel":
            services.return_cancel(ret=ret, actor=who)
        else:
            services.return_close(ret=ret, refund=form.refund(), actor=who)

    def receive_view(self, request, pk):
        ret = self._return(request, pk, "returns.receive_return")
        lines = list(ret.lines.select_related("order_line").order_by("id"))
        locations = list(
            Location.objects.filter(warehouse_id=ret.warehouse_id, active=True).order_by("code")
        )
        initial = [{"line_id": line.pk} for line in lines]
        formset = ReceiveFormSet(request.POST or None, initial=initial, locations=locations)
        if request.method == "POST" and formset.is_valid():
            by_pk = {line.pk: line for line in lines}
            items = [
                item
                for form in formset
                if form.cleaned_data.get("line_id") in by_pk
                for item in form.items(by_pk[form.cleaned_data["line_id"]].order_line.public_id)
            ]
            try:
                if not items:
                    raise DomainError("Enter at least one received quantity.")
                services.return_receive(ret=ret, items=items, actor=actor(request))
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                units = {
                    d: sum(i["quantity_received"] for i in items if i["disposition"] == d)
                    for d in ("restock", "quarantine", "scrap")
                }
                said = ", ".join(f"{n} {d}" for d, n in units.items() if n)
                ret.refresh_from_db()
                messages.success(request, f"{ret.rma_number}: received {said}; now {ret.status}.")
                return redirect(reverse("admin:returns_return_change", args=[ret.pk]))
        rows = list(zip(lines, formset.forms, strict=True)) if lines else []
        return self.page(
            request,
            "admin/returns/receive.html",
            f"Receive {ret.rma_number}",
            ret=ret,
            formset=formset,
            rows=rows,
        )
