from django.core.management.base import BaseCommand, CommandError

from vectis.accounts import services
from vectis.accounts.selectors import access_token_count, api_client_by_client_id


class Command(BaseCommand):
    help = (
        "Revoke an API client: it gets no new tokens and its access tokens are deleted at "
        "once. The client stays on record (inactive). Prints the number of tokens revoked; a "
        "client already revoked is left alone (exit status 0)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "client_id",
            metavar="CLIENT_ID",
            help="The client's OAuth client id (as create_api_client printed it), or its cli_… id.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be revoked (and how many tokens); change nothing.",
        )

    def handle(self, *args, client_id, dry_run, **options):
        client = api_client_by_client_id(client_id)
        if client is None:
            raise CommandError(f"No API client with client id {client_id!r}")
        name = f"API client {client.client_id} ({client.account.name} / {client.name})"
        if not client.active:
            self.stdout.write(f"{name} is already revoked; nothing to do")
            return
        if dry_run:
            tokens = access_token_count(client)
            self.stdout.write(f"would revoke {name} and its {tokens} access token(s)")
            return
        tokens = services.api_client_revoke(client=client)
        self.stdout.write(f"revoked {name}: {tokens} access token(s) revoked")
