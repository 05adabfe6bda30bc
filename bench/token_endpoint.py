"""Benchmark: CPU cost of a failed sign-in at POST /oauth/token, side by side in one run.

Cases (each `--requests` wrong-secret requests, interleaved A/B over `--reps` repetitions):
  unknown   a client id that does not exist
  known     an existing client, secret hashed by the client-secret hasher (today's default)
  legacy    an existing client whose secret is hashed with PBKDF2 (Django's default hasher,
            what every client had before)

Reports CPU seconds per request (process time of this process: the requests run in-process
through Django's test client, so nothing else is counted) and the ratios known/unknown and
legacy/known. Throttling is switched off here so every request runs the full check.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vectis_bench .venv/bin/python \
        bench/token_endpoint.py --requests 50 --reps 3
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vectis.settings")
    os.environ["VECTIS_TOKEN_FAILURE_LIMIT"] = "0"  # noqa: S105 (a limit, not a password)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test import Client
    from oauth2_provider.models import Application

    from vectis.accounts.services import account_get_or_create, api_client_create

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    account, _ = account_get_or_create(name=f"bench-token-{int(time.time())}")
    known = api_client_create(account=account, name="known", scopes=["orders:read"]).client
    legacy = api_client_create(account=account, name="legacy", scopes=["orders:read"]).client
    Application.objects.filter(pk=legacy.application_id).update(
        client_secret=make_password("unused", hasher="pbkdf2_sha256")
    )
    http = Client()

    def cost(client_id: str) -> float:
        body = json.dumps(
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "no"}
        )
        started = time.process_time()
        for _ in range(args.requests):
            response = http.post("/oauth/token", body, content_type="application/json")
            if response.status_code != 401:
                raise SystemExit(f"expected 401, got {response.status_code}: {response.content}")
        return (time.process_time() - started) / args.requests

    cases = {"unknown": "no-such-client", "known": known.client_id, "legacy": legacy.client_id}
    results: dict[str, list[float]] = {name: [] for name in cases}
    cost(known.client_id)  # warm-up
    for _ in range(args.reps):
        for name, client_id in cases.items():
            results[name].append(cost(client_id))

    def fmt(values):
        return (
            f"median {statistics.median(values) * 1000:.2f} ms "
            f"(min {min(values) * 1000:.2f}, max {max(values) * 1000:.2f})"
        )

    for name, values in results.items():
        print(f"{name:8s} CPU per failed sign-in: {fmt(values)}")
    med = {name: statistics.median(values) for name, values in results.items()}
    print(f"known / unknown = {med['known'] / med['unknown']:.2f}")
    print(f"legacy / known  = {med['legacy'] / med['known']:.1f}")


if __name__ == "__main__":
    main()
