"""What the returns API reads: a return request, its receipt, refund and decisions."""

from rest_framework import serializers

from returns.models import CONDITIONS, DISPOSITIONS, REASONS
from returns.representation import ReturnSerializer
from vectis.api.deprecation import Deprecated, day
from vectis.api.serializers import StrictSerializer
from vectis.serializers import (
    BooleanField,
    CharField,
    CurrencyField,
    IntegerField,
    MoneyField,
)


class ReturnLineInSerializer(StrictSerializer):
    order_line_id = CharField(max_length=32, required=False)
    sku = CharField(max_length=64, required=False)
    quantity = IntegerField(min_value=1, max_value=1_000_000)
    reason = serializers.ChoiceField(choices=REASONS)
    note = CharField(max_length=500, required=False, allow_blank=True, default="")

    one_of = (("order_line_id", "sku"),)


class ReturnCreateSerializer(StrictSerializer):
    resource = ReturnSerializer
    order_id = CharField(max_length=32)
    lines = ReturnLineInSerializer(many=True, allow_empty=False, max_length=500)
    rma_number = CharField(
        max_length=32, required=False, help_text="Your own RMA number; default: generated."
    )
    notes = CharField(max_length=5000, required=False, allow_blank=True, default="")

    example = {
        "order_id": "ord_9mKd4TzQ7wLx2NbV6cHp",
        "lines": [{"sku": "TEE-BLK-M", "quantity": 1, "reason": "wrong_item"}],
        "notes": "Ordered M, wanted L",
    }


class RefundSerializer(StrictSerializer):
    amount = MoneyField()
    currency = CurrencyField()
    reference = CharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=["pending", "issued", "failed"], required=False, default="pending"
    )


class AuthorizeSerializer(StrictSerializer):
    warehouse_id = CharField(
        max_length=32, required=False, help_text="Default: the warehouse the order shipped from."
    )
    refund = RefundSerializer(required=False)
    label = BooleanField(default=False, help_text="Issue a return label.")

    example = {"label": True}


class RejectSerializer(StrictSerializer):
    reason = CharField(max_length=500)

    example = {"reason": "Outside the 30-day return window"}


class CloseSerializer(StrictSerializer):
    refund = RefundSerializer(required=False)

    example = {"refund": {"amount": "19.00", "currency": "USD", "status": "issued"}}


class ReceiveItemSerializer(StrictSerializer):
    order_line_id = CharField(max_length=32, required=False)
    sku = CharField(max_length=64, required=False)
    quantity_received = IntegerField(min_value=1, max_value=1_000_000)
    condition = serializers.ChoiceField(choices=CONDITIONS)
    disposition = serializers.ChoiceField(choices=DISPOSITIONS)
    location_id = CharField(
        max_length=32,
        required=False,
        help_text="Default: the default bin (restock) or the QUARANTINE bin (quarantine).",
    )

    one_of = (("order_line_id", "sku"),)


class ReceiveSerializer(StrictSerializer):
    lines = ReceiveItemSerializer(many=True, allow_empty=False, max_length=500)

    # Line arrays are named as their resource names its lines (docs/api.md): a return's `lines`.
    deprecated_aliases = {
        "items": Deprecated("lines", since=day("2026-12-04"), sunset=day("2027-06-30"))
    }
    example = {
        "lines": [
            {
                "sku": "TEE-BLK-M",
                "quantity_received": 1,
                "condition": "new",
                "disposition": "restock",
            }
        ]
    }
