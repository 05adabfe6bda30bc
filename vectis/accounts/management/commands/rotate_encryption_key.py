from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.db.models.functions import Cast

from vectis import crypto
from vectis.db import EncryptedTextField


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every field stored encrypted, in every installed app (found,
    not imported: the core knows no app above it)."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret stored encrypted (webhook signing secrets, any "
        "EncryptedTextField) with the first key of VECTIS_ENCRYPTION_KEYS. Rotation: put the "
        "new key first in the list (keep the old one after it), deploy, run this, then remove "
        "the old key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Check that every value decrypts; write nothing."
        )

    def handle(self, *args, dry_run, **options):
        done = 0
        for model, name in encrypted_fields():
            done += self._rotate(model, name, dry_run=dry_run)
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"{verb} {done} secret(s) with the first key")

    def _rotate(self, model, name: str, *, dry_run: bool) -> int:
        # The stored (encrypted) values: a plain text cast skips the field's decryption.
        raw = model._default_manager.annotate(
            stored=Cast(name, output_field=models.TextField())
        ).exclude(stored=None)
        key = "public_id" if any(f.name == "public_id" for f in model._meta.fields) else "pk"
        done = 0
        for pk, shown, stored in raw.values_list("pk", key, "stored").iterator():
            try:
                rotated = crypto.rotate(stored)
            except crypto.DecryptionFailed as exc:
                raise CommandError(f"{model._meta.label} {shown}: {exc}") from exc
            # Only if unchanged since it was read: a secret rotated meanwhile (shown once to
            # its owner) must not be overwritten with the old one.
            if not dry_run:
                raw.filter(pk=pk, stored=stored).update(**{name: rotated})
            done += 1
        return done
