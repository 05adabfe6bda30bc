import json

from django.core.management.base import BaseCommand, CommandError

from vectis.accounts import services
from vectis.accounts.scopes import ALL_SCOPES
from vectis.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an API client (OAuth2 client credentials) for an account, creating the account "
        "if missing. Prints one JSON object; the secret is shown only this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account name (created if missing).")
        parser.add_argument("--name", required=True, help="A name for this client.")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument(
            "--scopes",
            help=f'Space-separated scopes, e.g. "orders:read orders:write". '
            f"Known: {' '.join(ALL_SCOPES)}",
        )
        group.add_argument("--all-scopes", action="store_true", help="Grant every scope.")

    def handle(self, *args, **options):
        scopes = list(ALL_SCOPES) if options["all_scopes"] else options["scopes"]
        try:
            account, _ = services.account_get_or_create(name=options["account"])
            issued = services.api_client_create(
                account=account, name=options["name"], scopes=scopes
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            json.dumps(
                {
                    "account_id": account.public_id,
                    "client_id": issued.client.client_id,
                    "client_secret": issued.client_secret,
                    "scopes": issued.client.scope_list,
                }
            )
        )
