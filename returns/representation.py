"""The API representation of returns (responses and webhook events)."""

from rest_framework import serializers

from returns.models import Return, ReturnLine, ReturnReceipt
from returns.selectors import returns_for_account
from vectis.serializers import represent


class ReturnReceiptSerializer(serializers.ModelSerializer):
    location_id = serializers.CharField(source="location.public_id", default=None, allow_null=True)

    class Meta:
        model = ReturnReceipt
        fields = ["quantity", "condition", "disposition", "location_id", "created_at"]


class ReturnLineSerializer(serializers.ModelSerializer):
    order_line_id = serializers.CharField(source="order_line.public_id")
    sku = serializers.CharField(source="order_line.sku")
    receipts = ReturnReceiptSerializer(many=True)

    class Meta:
        model = ReturnLine
        fields = [
            "order_line_id",
            "sku",
            "quantity",
            "reason",
            "note",
            "quantity_received",
            "receipts",
        ]


class ReturnSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    order_id = serializers.CharField(source="order.public_id")
    warehouse_id = serializers.CharField(
        source="warehouse.public_id",
        default=None,
        allow_null=True,
        help_text="The receiving warehouse; null until the return is authorized.",
    )
    lines = ReturnLineSerializer(many=True)
    refund = serializers.JSONField(help_text="amount, currency, reference, status (recorded).")
    label = serializers.SerializerMethodField()

    class Meta:
        model = Return
        fields = [
            "id",
            "rma_number",
            "order_id",
            "status",
            "warehouse_id",
            "lines",
            "notes",
            "reject_reason",
            "refund",
            "label",
            "created_at",
            "updated_at",
        ]

    def get_label(self, obj) -> dict | None:
        if not obj.label_tracking_number:
            return None
        return {"carrier": obj.label_carrier, "tracking_number": obj.label_tracking_number}


def return_data(ret: Return) -> dict:
    return represent(ReturnSerializer, returns_for_account(ret.account_id).get(pk=ret.pk))
