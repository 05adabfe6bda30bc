"""Admin base class: staff see only the accounts they are members of, and do there what their
role allows (vectis/accounts/roles.py)."""

import functools

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.http import Http404
from django.template.response import TemplateResponse

from vectis.accounts import roles
from vectis.accounts.models import Account


def member_account_ids(user) -> list[int] | None:
    """Ids of the accounts `user` may see in the admin; None means all (superuser)."""
    if user.is_superuser:
        return None
    return list(roles.roles_of(user))


# A form on an admin page of its own: adjust, transfer, tracking, cancel, decisions, redelivery.
FORM_PAGE = "admin/inventory/stock_form.html"


def actor(request) -> str:
    return f"user:{request.user.get_username()}"


class AccountScopedAdmin(admin.ModelAdmin):
    """Every admin of account-owned rows. Its querysets keep to the staff user's accounts even
    when a subclass overrides `get_queryset` and forgets to call super (the override is
    wrapped); opting out takes `tenancy_opt_out = "<why>"`, which tests/admin/test_tenancy.py
    lists. `account_field` names the account foreign key ("" for the Account model itself)."""

    account_field = "account"
    tenancy_opt_out: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("get_queryset")
        if own is not None and not getattr(own, "_account_scoped", False):
            cls.get_queryset = _scoped(own)

    def get_queryset(self, request):
        return super().get_queryset(request)

    def scope(self, queryset, request):
        """`queryset` kept to the accounts the staff user is a member of."""
        ids = member_account_ids(request.user)
        if ids is None or self.tenancy_opt_out:
            return queryset
        key = f"{self.account_field}_id__in" if self.account_field else "id__in"
        return queryset.filter(**{key: ids})

    def get_object(self, request, object_id, from_field=None):
        """Another account's object (or none) is a 404, as in the API, not a redirect."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your accounts.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "account":
            # Only accounts in which the role may write this kind of object.
            opts = self.opts
            perms = [
                f"{opts.app_label}.{get_permission_codename(a, opts)}" for a in ("add", "change")
            ]
            ids = [roles.accounts_where(request.user, perm) for perm in perms]
            if all(i is not None for i in ids):
                kwargs["queryset"] = Account.objects.filter(id__in=set().union(*ids))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # Django asks these without the object's account in mind; here an object is judged by the
    # role in its own account, a list by the user's highest role.
    def _model_perm(self, request, action: str, obj=None) -> bool:
        opts = self.opts
        codename = get_permission_codename(action, opts)
        return request.user.has_perm(f"{opts.app_label}.{codename}", obj)

    def has_view_permission(self, request, obj=None):
        return self._model_perm(request, "view", obj) or self._model_perm(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self._model_perm(request, "change", obj)

    def has_add_permission(self, request):
        return self._model_perm(request, "add")

    def has_delete_permission(self, request, obj=None):
        return self._model_perm(request, "delete", obj)

    def page(self, request, template: str, title: str, **context) -> TemplateResponse:
        """One of this admin's own screens, in the admin's frame (header, breadcrumbs)."""
        frame = {**self.admin_site.each_context(request), "opts": self.model._meta}
        return TemplateResponse(request, template, {**frame, "title": title, **context})

    def allowed(self, request, perm: str, obj=None) -> bool:
        """`perm` (app.name) for `obj`'s account, or in some account without `obj`."""
        return request.user.has_perm(perm, obj)

    def each_allowed(self, request, queryset, perm: str) -> list:
        """The selected objects the user may apply `perm` to; the others are reported."""
        allowed, refused = [], []
        for obj in queryset:
            (allowed if request.user.has_perm(perm, obj) else refused).append(obj)
        if refused:
            names = ", ".join(str(getattr(o, "public_id", o)) for o in refused[:10])
            more = f" and {len(refused) - 10} more" if len(refused) > 10 else ""
            self.message_user(
                request,
                f"Not allowed by your role in their account, left unchanged: {names}{more}.",
                level=messages.ERROR,
            )
        return allowed


def _scoped(get_queryset):
    @functools.wraps(get_queryset)
    def scoped(self, request):
        return self.scope(get_queryset(self, request), request)

    scoped._account_scoped = True
    return scoped


AccountScopedAdmin.get_queryset = _scoped(AccountScopedAdmin.get_queryset)
