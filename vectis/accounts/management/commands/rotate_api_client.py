import json

from django.core.management.base import BaseCommand, CommandError

from vectis.accounts import services
from vectis.accounts.selectors import api_client_by_client_id


class Command(BaseCommand):
    help = (
        "Give an API client a new secret. Prints one JSON object with the new secret, shown "
        "only this once (only its hash is stored); the old secret stops working at once, the "
        "access tokens already issued stay valid until they expire. A revoked client is "
        "refused."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "client_id",
            metavar="CLIENT_ID",
            help="The client's OAuth client id (as create_api_client printed it), or its cli_… id.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the client exists; change nothing."
        )

    def handle(self, *args, client_id, dry_run, **options):
        client = api_client_by_client_id(client_id)
        if client is None:
            raise CommandError(f"No API client with client id {client_id!r}")
        if not client.active:
            raise CommandError(
                f"API client {client.client_id} ({client.account.name} / {client.name}) is "
                "revoked: a new secret would not let it sign in. Create a new client instead."
            )
        if dry_run:
            self.stdout.write(
                f"would rotate the secret of API client {client.client_id} "
                f"({client.account.name} / {client.name})"
            )
            return
        secret = services.api_client_rotate_secret(client=client)
        self.stdout.write(
            json.dumps(
                {
                    "account_id": client.account.public_id,
                    "client_id": client.client_id,
                    "client_secret": secret,
                    "scopes": client.scope_list,
                }
            )
        )
