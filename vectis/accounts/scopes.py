"""The OAuth2 scopes Vectis grants, exactly as in the API reference."""

RESOURCES = ("orders", "products", "inventory", "warehouses", "packages", "returns")

SCOPES: dict[str, str] = {}
for _resource in RESOURCES:
    SCOPES[f"{_resource}:read"] = f"Read {_resource}"
    SCOPES[f"{_resource}:write"] = f"Create and update {_resource}"
SCOPES["webhooks:manage"] = "Manage webhook subscriptions"

ALL_SCOPES: tuple[str, ...] = tuple(SCOPES)


def parse_scopes(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """Split a space/comma separated scope string; unknown scopes raise ValueError."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    unknown = [s for s in items if s not in SCOPES]
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(unknown)}")
    # Keep the canonical order and drop duplicates.
    return [s for s in ALL_SCOPES if s in set(items)]
