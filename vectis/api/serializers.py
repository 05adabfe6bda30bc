"""Serializer building blocks shared by every resource."""

import re

from django.core.validators import RegexValidator
from rest_framework import serializers

from vectis.api import deprecation
from vectis.serializers import AddressFields, CharField

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class StrictSerializer(serializers.Serializer):
    """Refuses input keys it does not know, and read-only ones, instead of ignoring them.

    One rule for every write: a key that is not a writable field here is a 400
    `validation_error` naming it, with detail code `read_only` when the resource has that field
    (it is in `resource`, the resource's representation, or declared read-only here) and
    `unknown_field` otherwise. 409 `field_locked` is left to the services, for a writable field
    that the object's state locks (an order's items once allocated). The schema of a request
    body built from one refuses other keys (`additionalProperties: false`).
    """

    resource: type[serializers.Serializer] | None = None
    # Groups of keys of which a request sends exactly one (a 400 `required` on the first name
    # otherwise); the schema says it as `oneOf` (vectis.api.schema).
    one_of: tuple[tuple[str, ...], ...] = ()
    # JSON Schema for rules across fields that the schema states as such (`dependentRequired`,
    # `not`): merged into the request body's schema; the serializer enforces them itself.
    schema_rules: dict = {}
    # A body the operation accepts: the request body's example in the schema (Swagger UI's "Try
    # it out" starts from it). SKUs are the demo data's; ids look like real ones (replace them
    # with your own). tests/api/test_matrices.py sends each one and expects it accepted.
    example: dict | None = None
    # Old names of fields, still accepted (vectis.api.deprecation): alias → Deprecated. Sending
    # both an alias and its field is a 400 naming the alias.
    deprecated_aliases: dict = {}
    _resource_fields: dict[type, frozenset[str]] = {}

    @classmethod
    def resource_fields(cls) -> frozenset[str]:
        if cls.resource is None:
            return frozenset()
        if cls not in StrictSerializer._resource_fields:
            StrictSerializer._resource_fields[cls] = frozenset(cls.resource().fields)
        return StrictSerializer._resource_fields[cls]

    def _renamed(self, data: dict) -> dict:
        for alias, deprecated in self.deprecated_aliases.items():
            if alias not in data:
                continue
            if deprecated.replacement in data:
                raise serializers.ValidationError(
                    {alias: [f"Send {deprecated.replacement} only ({alias} is its old name)."]},
                    code="invalid",
                )
            data = {deprecated.replacement if k == alias else k: v for k, v in data.items()}
            deprecation.record(deprecated)
        return data

    def _key_sets(self) -> tuple[frozenset[str], frozenset[str]]:
        """(writable, known) field names, once per instance (its fields are bound once)."""
        sets = self.__dict__.get("_strict_key_sets")
        if sets is None:
            writable = frozenset(name for name, f in self.fields.items() if not f.read_only)
            sets = self._strict_key_sets = (writable, self.resource_fields() | set(self.fields))
        return sets

    def to_internal_value(self, data):
        if isinstance(data, dict) and self.deprecated_aliases:
            data = self._renamed(data)
        if isinstance(data, dict):
            writable, known = self._key_sets()
            errors = {}
            for key in data:
                if key in writable:
                    continue
                if key in known:
                    errors[key] = [
                        serializers.ErrorDetail(f"{key} cannot be changed.", code="read_only")
                    ]
                else:
                    errors[key] = [
                        serializers.ErrorDetail(f"Unknown field {key!r}.", code="unknown_field")
                    ]
            if errors:
                raise serializers.ValidationError(errors)
        attrs = super().to_internal_value(data)
        for names in self.one_of:
            if sum(attrs.get(name) is not None for name in names) != 1:
                raise serializers.ValidationError(
                    {names[0]: [f"Send exactly one of {' or '.join(names)}."]}, code="required"
                )
        return attrs


class CodeField(CharField):
    """A short identifier: letters, digits, `.`, `_`, `-`; starts with a letter or digit."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(
                CODE_RE, message="Use letters, digits, '.', '_' and '-' only.", code="invalid"
            )
        )


class AddressSerializer(StrictSerializer, AddressFields):
    """An address in a request (strict: unknown parts are refused)."""


TRACKING_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{3,39}$")


class TrackingNumberField(CharField):
    """A carrier tracking number: 4 to 40 letters, digits and dashes (printable as Code 128)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(
                TRACKING_RE,
                message="Use 4 to 40 letters, digits and dashes.",
                code="invalid_tracking_number",
            )
        )
