"""Carrier adapters: how a package gets a label and a tracking number.

An adapter implements `create_label(package, *, tracking_number=None) -> IssuedLabel`,
`void_label(label)` and `tracking_url(tracking_number)`. `VECTIS_CARRIERS` maps carrier names
to adapter classes; real carriers plug in there without touching the services. Adapters may
do network I/O: the services call them outside database transactions.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from vectis.errors import DomainError, ValidationFailed


@dataclass
class IssuedLabel:
    tracking_number: str
    document: bytes | None = None  # the carrier's own label, if it returns one
    content_type: str = ""
    renders_locally: bool = False  # Vectis renders PDF/ZPL/PNG itself


class CarrierUnavailable(DomainError):
    status_code = 502
    code = "carrier_unavailable"
    default_message = "The carrier could not be reached; try again."


def adapter_for(name: str):
    path = settings.VECTIS_CARRIERS.get(name)
    if path is None:
        raise ValidationFailed(
            f"Unknown carrier {name!r}; one of: {', '.join(sorted(settings.VECTIS_CARRIERS))}.",
            field="carrier",
            code="unknown_carrier",
        )
    return import_string(path)()
