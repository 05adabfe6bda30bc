"""Model building blocks shared by every app."""

from functools import partial

from django.db import models

from vectis.ids import new_public_id


class PublicIdField(models.CharField):
    """A prefixed, non-sequential, URL-safe id (`wh_…`) generated on creation."""

    def __init__(self, prefix: str = "", *args, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        if prefix:
            kwargs["default"] = partial(new_public_id, prefix)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)
        kwargs["prefix"] = self.prefix
        if not self._unique:  # __init__ defaults to unique; a unique constraint may stand in
            kwargs["unique"] = False
        return name, path, args, kwargs


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (vectis.crypto); reads give the plaintext back. Not for lookups:
    encryption is randomised, so an exact filter never matches. `dumpdata` writes plaintext."""

    def from_db_value(self, value, expression, connection):
        from vectis import crypto

        return crypto.decrypt(value) if value else value

    def get_prep_value(self, value):
        from vectis import crypto

        value = super().get_prep_value(value)
        if not value or crypto.is_encrypted(value):
            return value
        return crypto.encrypt(value)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True
