"""For a package shipped outside Vectis: the client supplies the tracking number; no label."""

from orders.carriers import IssuedLabel
from vectis.errors import ValidationFailed


class ManualCarrier:
    name = "manual"

    def create_label(self, package, *, tracking_number: str | None = None) -> IssuedLabel:
        if not tracking_number:
            raise ValidationFailed(
                "The manual carrier needs the tracking_number you shipped with.",
                field="tracking_number",
                code="required",
            )
        return IssuedLabel(tracking_number=tracking_number)

    def void_label(self, label) -> None:
        return None

    def tracking_url(self, tracking_number: str) -> str | None:
        return None
