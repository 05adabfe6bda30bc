"""Deprecated request fields (docs/api.md, "Deprecations"): still accepted until their sunset,
and every response to a request that used one says so with `Deprecation` (RFC 9745) and
`Sunset` (RFC 8594)."""

import contextvars
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime


@dataclass(frozen=True)
class Deprecated:
    """A request key kept as an alias of `replacement`, deprecated since `since` (a UTC date)
    and answered until `sunset`."""

    replacement: str
    since: datetime
    sunset: datetime

    def note(self) -> str:
        return (
            f"Deprecated since {self.since:%Y-%m-%d}: send `{self.replacement}` instead "
            f"(accepted until {self.sunset:%Y-%m-%d})."
        )


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


_used: contextvars.ContextVar[list | None] = contextvars.ContextVar("vectis_deprecated")


def start() -> None:
    """A request begins: nothing deprecated used yet."""
    _used.set([])


def record(deprecated: Deprecated) -> None:
    used = _used.get(None)
    if used is not None and deprecated not in used:
        used.append(deprecated)


def headers() -> dict[str, str]:
    """The headers for what this request used (none when it used nothing deprecated); the
    request is over."""
    used = _used.get(None)
    _used.set(None)
    if not used:
        return {}
    since = min(d.since for d in used)
    sunset = min(d.sunset for d in used)
    return {
        "Deprecation": f"@{int(since.timestamp())}",
        "Sunset": format_datetime(sunset, usegmt=True),
    }
