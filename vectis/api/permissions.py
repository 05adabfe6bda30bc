"""Scope checks: GET/HEAD/OPTIONS need `<resource>:read`, other methods `<resource>:write`."""

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"

    def __init__(self, required: list[str]):
        self.required = required
        wanted = " or ".join(required)
        super().__init__(
            detail=exceptions.ErrorDetail(
                f"This token lacks the scope required for this operation: {wanted}.",
                code="insufficient_scope",
            )
        )
        self.extra_headers = {
            "WWW-Authenticate": (
                f'Bearer realm="vectis", error="insufficient_scope", scope="{" ".join(required)}"'
            )
        }


def required_scopes(view, method: str) -> list[str]:
    """Scopes of which any one grants `method` on `view` (used by the check and the schema).

    A view declares `scope_resource = "warehouses"` (read/write by method) or, for endpoints
    outside that pattern, `required_scopes = {"GET": [...], "POST": [...]}` / a list for all.
    """
    explicit = getattr(view, "required_scopes", None)
    if isinstance(explicit, dict):
        action = getattr(view, "action", None)
        if action and action in explicit:
            return list(explicit[action])
        if method in explicit:
            return list(explicit[method])
        return list(explicit.get("*", []))
    if explicit is not None:
        return list(explicit)
    resource = getattr(view, "scope_resource", None)
    if not resource:
        return []
    return [f"{resource}:read" if method in SAFE_METHODS else f"{resource}:write"]


class HasScope(BasePermission):
    """Authenticated client whose token holds a scope the operation needs (default: deny)."""

    def has_permission(self, request, view) -> bool:
        principal = request.user
        if principal is None or not getattr(principal, "is_authenticated", False):
            # DRF answers 401 with WWW-Authenticate for this.
            raise exceptions.NotAuthenticated()
        needed = required_scopes(view, request.method)
        if not needed:
            # A view that forgot to declare scopes is closed, not open.
            raise InsufficientScope(["<undeclared>"])
        if not any(scope in principal.scopes for scope in needed):
            raise InsufficientScope(needed)
        return True
