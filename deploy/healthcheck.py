"""The container's health check (deploy/Dockerfile HEALTHCHECK): GET /healthz on this
container's gunicorn; exit 0 when it answers 200, 1 otherwise.

Django answers 400 to a Host header not in ALLOWED_HOSTS, so the probe names a host the
settings accept rather than 127.0.0.1. /healthz is never redirected to https
(VECTIS_SECURE_REDIRECT_EXEMPT), so plain http works in production mode too.
"""

import os
import sys
import urllib.request


def probe_host() -> str:
    for entry in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        entry = entry.strip()
        if entry and entry != "*":
            # ".example.com" allows example.com and its subdomains.
            return entry.lstrip(".")
    return "localhost"


def probe_port() -> str:
    bind = os.environ.get("VECTIS_WEB_BIND", "0.0.0.0:8000")
    host, _, port = bind.rpartition(":")
    return port if host and port.isdigit() else "8000"


def main() -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{probe_port()}/healthz", headers={"Host": probe_host()}
    )
    try:
        # A fixed http URL on loopback: no user-supplied scheme to worry about.
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
