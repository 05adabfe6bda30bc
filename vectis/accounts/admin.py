"""Accounts, their API clients and members. Clients are created, edited, rotated and revoked
through vectis.accounts.services; a new secret is shown once, on the page that made it."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from vectis.accounts import roles, services
from vectis.accounts.admin_scoping import AccountScopedAdmin
from vectis.accounts.models import Account, ApiClient, Membership
from vectis.accounts.scopes import SCOPES
from vectis.errors import DomainError

SCOPE_CHOICES = [(scope, f"{scope}: {text}") for scope, text in SCOPES.items()]


def _accounts_where(request, perm: str):
    ids = roles.accounts_where(request.user, perm)
    return Account.objects.all() if ids is None else Account.objects.filter(id__in=ids)


@admin.register(Account)
class AccountAdmin(AccountScopedAdmin):
    list_display = ("name", "public_id", "active", "auto_allocate", "created_at")
    search_fields = ("name", "public_id")
    list_filter = ("active",)
    readonly_fields = ("public_id", "created_at", "updated_at")
    account_field = ""  # an account is its own

    def has_delete_permission(self, request, obj=None):
        return False  # an account is deactivated, never deleted from here


class ApiClientForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none())
    name = forms.CharField(max_length=200)
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


class ApiClientEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Changing the scopes revokes the client's access tokens.",
    )


@admin.register(ApiClient)
class ApiClientAdmin(AccountScopedAdmin):
    list_display = ("name", "account", "client_id", "scopes", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "application__client_id", "account__name")
    readonly_fields = ("public_id", "account", "client_id", "active", "created_at")
    fields = ("public_id", "account", "name", "scopes", "client_id", "active", "created_at")
    list_select_related = ("account", "application")
    actions = ["revoke_selected"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the client stays on record

    def has_revoke_permission(self, request) -> bool:
        return self.allowed(request, "accounts.change_apiclient")

    def get_urls(self):
        own = [
            path(
                "<int:pk>/rotate/",
                self.admin_site.admin_view(self.rotate_view),
                name="accounts_apiclient_rotate",
            ),
        ]
        return own + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        accounts = _accounts_where(request, "accounts.add_apiclient")
        form = ApiClientForm(request.POST or None, accounts=accounts)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                issued = services.api_client_create(
                    account=data["account"], name=data["name"], scopes=data["scopes"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return self._secret_page(request, issued.client, issued.client_secret, "created")
        return self._form_page(request, form, "Add API client")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        client = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, client):
            return super().change_view(request, object_id, form_url, extra_context)
        initial = {"name": client.name, "scopes": client.scope_list}
        form = ApiClientEditForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                changed = services.api_client_update(
                    client=client,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if not changed:
                    text = f"{client.name}: nothing changed."
                elif "scopes" in changed:
                    text = f"{client.name}: saved; its access tokens were revoked."
                else:
                    text = f"{client.name}: saved."
                messages.success(request, text)
                return redirect(reverse("admin:accounts_apiclient_changelist"))
        return self._form_page(request, form, f"API client {client.name}", client=client)

    def rotate_view(self, request, pk):
        client = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, client) or request.method != "POST":
            raise PermissionDenied
        secret = services.api_client_rotate_secret(client=client)
        return self._secret_page(request, client, secret, "rotated")

    @admin.action(description="Revoke selected API clients", permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        for client in self.each_allowed(request, queryset, "accounts.change_apiclient"):
            tokens = services.api_client_revoke(client=client)
            self.message_user(
                request, f"{client.name}: revoked ({tokens} access token(s) deleted)."
            )

    def _form_page(self, request, form, title, client=None):
        return self.page(
            request, "admin/accounts/apiclient/form.html", title, form=form, client=client
        )

    def _secret_page(self, request, client, secret, verb):
        response = self.page(
            request,
            "admin/accounts/apiclient/secret.html",
            f"API client {client.name}: secret {verb}",
            client=client,
            secret=secret,
        )
        response["Cache-Control"] = "no-store"
        return response


class MembershipForm(forms.ModelForm):
    """A member is named by username (managers cannot browse the site's users)."""

    username = forms.CharField(
        max_length=150, help_text="An existing staff user (a superuser creates users)."
    )

    class Meta:
        model = Membership
        fields = ("account", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["username"].initial = self.instance.user.get_username()
            self.fields["username"].disabled = True

    def clean_username(self):
        if self.instance.pk:
            return self.instance.user.get_username()
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_staff=True).first()
        if user is None:
            raise forms.ValidationError(f"No staff user is named {username!r}.")
        self.instance.user = user
        return username

    def clean(self):
        data = super().clean()
        account = data.get("account")
        new = account and not self.instance.pk and self.instance.user_id
        taken = new and Membership.objects.filter(user_id=self.instance.user_id, account=account)
        if taken and taken.exists():
            self.add_error("username", "This user is a member of that account already.")
        return data


@admin.register(Membership)
class MembershipAdmin(AccountScopedAdmin):
    form = MembershipForm
    list_display = ("user", "account", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "account__name")
    list_select_related = ("user", "account")
    fields = ("username", "account", "role")
