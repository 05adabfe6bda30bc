from django.core.management.base import BaseCommand

from vectis import crypto


class Command(BaseCommand):
    help = "Print a new key for VECTIS_ENCRYPTION_KEYS (a Fernet key)."

    def handle(self, *args, **options):
        self.stdout.write(crypto.generate_key())
