from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.db.models.functions import Cast

from vectis import crypto
from webhooks.models import WebhookEndpoint


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret stored encrypted (webhook signing secrets) with the first key "
        "of VECTIS_ENCRYPTION_KEYS. Rotation: put the new key first in the list (keep the old "
        "one after it), deploy, run this, then remove the old key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Check that every value decrypts; write nothing."
        )

    def handle(self, *args, dry_run, **options):
        # The stored (encrypted) values: a plain text cast skips the field's decryption.
        raw = WebhookEndpoint.objects.annotate(
            stored=Cast("secret", output_field=models.TextField())
        )
        rows = raw.values_list("pk", "public_id", "stored")
        done = 0
        for pk, public_id, stored in rows.iterator():
            try:
                rotated = crypto.rotate(stored)
            except crypto.DecryptionFailed as exc:
                raise CommandError(f"webhook {public_id}: {exc}") from exc
            # Only if unchanged since it was read: a secret rotated meanwhile (shown once to
            # its owner) must not be overwritten with the old one.
            if not dry_run:
                raw.filter(pk=pk, stored=stored).update(secret=rotated)
            done += 1
        verb = "would re-encrypt" if dry_run else "re-encrypted"
        self.stdout.write(f"{verb} {done} secret(s) with the first key")
