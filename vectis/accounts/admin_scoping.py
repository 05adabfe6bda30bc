"""Admin base class: staff see and edit only the accounts they are members of."""

from django.contrib import admin

from vectis.accounts.models import Account


def member_account_ids(user) -> list[int] | None:
    """Ids of the accounts `user` may see in the admin; None means all (superuser)."""
    if user.is_superuser:
        return None
    return list(user.memberships.values_list("account_id", flat=True))


class AccountScopedAdmin(admin.ModelAdmin):
    account_field = "account"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = member_account_ids(request.user)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.account_field}_id__in": ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = member_account_ids(request.user)
        if db_field.name == "account" and ids is not None:
            kwargs["queryset"] = Account.objects.filter(id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
