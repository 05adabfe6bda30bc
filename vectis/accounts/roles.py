"""What a member of an account may do in the admin: three roles, each a set of permissions.

- viewer: reads everything of the account.
- operator: also works the floor: allocate, hold and release orders; pick, pack, ship, void and
  deliver packages; adjust and transfer stock, release holds; receive and close returns.
- manager: also decides and configures: cancel orders; authorize, reject and cancel returns;
  webhook endpoints and redeliveries; API clients; low-stock thresholds; catalog and
  warehouses; the account's members.

A user's role is per account (`Membership.role`). `RoleBackend` answers Django's permission
checks from it: asked about an object, with the role in that object's account; asked without
one (may this user see the orders list at all?), with the user's highest role. The admin asks
about the object before every change and action, so being a manager in one account gives
nothing in another. Superusers pass every check (Django's rule) and see every account.
"""

from django.contrib.auth.backends import BaseBackend

VIEWER = "viewer"
OPERATOR = "operator"
MANAGER = "manager"
ROLES = [(VIEWER, "Viewer"), (OPERATOR, "Operator"), (MANAGER, "Manager")]
RANK = {VIEWER: 1, OPERATOR: 2, MANAGER: 3}

# Models staff read (view_*), by app.
MODELS = {
    "accounts": ["account", "apiclient", "membership"],
    "catalog": ["product", "kitcomponent", "skualias"],
    "warehouses": ["warehouse", "location"],
    "inventory": ["stocklevel", "stockmovement", "reservation", "lowstockrule"],
    "orders": ["order", "orderline", "orderevent", "package", "packageline", "trackingevent"],
    "returns": ["return", "returnline", "returnreceipt"],
    "webhooks": ["webhookendpoint", "delivery", "deliveryattempt", "event"],
}

# What each role adds to the one below it. Besides Django's model permissions, the actions
# the admin offers have their own names (no rows in auth_permission: this backend decides).
OPERATOR_PERMISSIONS = {
    "orders.allocate_order",
    "orders.hold_order",
    "orders.ship_package",  # pack, ship, void, deliver, tracking
    "inventory.move_stock",  # adjust, transfer
    "inventory.release_reservation",
    "returns.receive_return",  # receive, close
}
MANAGER_PERMISSIONS = {
    "orders.cancel_order",
    "returns.decide_return",  # authorize, reject, cancel
    "webhooks.redeliver_delivery",
    "webhooks.change_webhookendpoint",
    "accounts.change_account",
    "accounts.add_apiclient",
    "accounts.change_apiclient",
    "accounts.add_membership",
    "accounts.change_membership",
    "accounts.delete_membership",
    "inventory.change_lowstockrule",
    *(f"catalog.{verb}_{model}" for verb in ("add", "change") for model in MODELS["catalog"]),
    "catalog.delete_skualias",
    "warehouses.add_warehouse",
    "warehouses.change_warehouse",
    "warehouses.add_location",
    "warehouses.change_location",
}
VIEWER_PERMISSIONS = {f"{app}.view_{model}" for app, models in MODELS.items() for model in models}

PERMISSIONS = {
    VIEWER: frozenset(VIEWER_PERMISSIONS),
    OPERATOR: frozenset(VIEWER_PERMISSIONS | OPERATOR_PERMISSIONS),
    MANAGER: frozenset(VIEWER_PERMISSIONS | OPERATOR_PERMISSIONS | MANAGER_PERMISSIONS),
}


def roles_of(user) -> dict[int, str]:
    """account id → role, for an active staff user (read once per user object: per request)."""
    if not (user.is_active and user.is_staff) or user.is_anonymous:
        return {}
    cached = getattr(user, "_vectis_roles", None)
    if cached is None:
        cached = dict(user.memberships.values_list("account_id", "role"))
        user._vectis_roles = cached
    return cached


def highest(roles) -> str | None:
    return max(roles, key=RANK.__getitem__, default=None)


def account_id_of(obj) -> int | None:
    """The account an object belongs to (an Account is its own)."""
    from vectis.accounts.models import Account

    if isinstance(obj, Account):
        return obj.pk
    return getattr(obj, "account_id", None)


def role_in(user, account_id: int | None) -> str | None:
    return roles_of(user).get(account_id) if account_id is not None else None


def accounts_where(user, perm: str) -> list[int] | None:
    """Ids of the accounts in which `user` holds `perm`; None means all (superuser)."""
    if user.is_active and user.is_superuser:
        return None
    return [a for a, role in roles_of(user).items() if perm in PERMISSIONS.get(role, ())]


class RoleBackend(BaseBackend):
    """Django permissions from account roles. Authenticates no one (ModelBackend does)."""

    def _permissions(self, user_obj, obj=None) -> frozenset[str]:
        if obj is None:  # anywhere: the highest role held
            return PERMISSIONS.get(highest(roles_of(user_obj).values()), frozenset())
        return PERMISSIONS.get(role_in(user_obj, account_id_of(obj)), frozenset())

    def get_all_permissions(self, user_obj, obj=None):
        return set(self._permissions(user_obj, obj))

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self._permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in self._permissions(user_obj))
