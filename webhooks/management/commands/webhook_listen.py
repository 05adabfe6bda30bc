"""A local receiver for developers: prints each webhook delivery and checks its signatures."""

import ipaddress
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand, CommandError

from webhooks import signing

MAX_BODY_BYTES = 5 * 1024 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def verify(secret: str, headers, body: bytes, *, now: float) -> list[str]:
    """Why the delivery is not verified (empty when it is): every signature present must
    match, and at least one must be present."""
    problems, present = [], 0
    vectis = headers.get("X-Vectis-Signature")
    if vectis is not None:
        present += 1
        if not signing.verify_vectis(secret, body, vectis):
            problems.append("X-Vectis-Signature does not match")
    standard = headers.get("webhook-signature")
    if standard is not None:
        present += 1
        problem = signing.verify_standard(
            secret,
            headers.get("webhook-id", ""),
            headers.get("webhook-timestamp", ""),
            body,
            standard,
            now=now,
        )
        if problem:
            problems.append(problem)
    if not present:
        problems.append("no X-Vectis-Signature or webhook-signature header")
    return problems


class Command(BaseCommand):
    help = (
        "Listen for webhook deliveries on a local port and print each one: event type, event "
        "and delivery ids, whether it verified, and its JSON body pretty-printed. Checks both "
        "signatures Vectis sends (X-Vectis-Signature and, when present, Standard Webhooks' "
        "webhook-signature with its 5-minute timestamp window) against --secret; answers 200 "
        "when verified, 400 otherwise. For development: point an endpoint at "
        "http://127.0.0.1:PORT/ (VECTIS_WEBHOOK_ALLOW_HTTP and VECTIS_WEBHOOK_ALLOW_PRIVATE). "
        "Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765, help="Port (default 8765; 0: any).")
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1)."
        )
        parser.add_argument(
            "--secret",
            required=True,
            metavar="whsec_…",
            help="The endpoint's signing secret (returned when it was created or rotated).",
        )
        parser.add_argument(
            "--count",
            type=int,
            metavar="N",
            help="Stop after N deliveries (default: run until interrupted).",
        )
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="Allow binding an address other than loopback (reachable from elsewhere).",
        )

    def handle(self, *args, port, host, secret, count, allow_remote, **options):
        if not secret.startswith(signing.SECRET_PREFIX):
            raise CommandError(f"--secret must start with {signing.SECRET_PREFIX}")
        if count is not None and count < 1:
            raise CommandError("--count must be at least 1.")
        if not is_loopback(host) and not allow_remote:
            raise CommandError(
                f"{host} is not a loopback address: anyone who can reach it could post to this "
                "receiver. Pass --allow-remote if that is what you want."
            )
        try:
            server = ThreadingHTTPServer((host, port), self._handler(secret))
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from exc
        server.deliveries = 0
        server.limit = count
        server.lock = threading.Lock()
        bound_host, bound_port = server.server_address[:2]
        self.stdout.write(f"listening on http://{bound_host}:{bound_port}/ (Ctrl-C stops)")
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.1)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        self.stdout.write(f"received {server.deliveries} delivery(ies)")

    def _handler(self, secret: str):
        command = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "vectis-webhook-listen"

            def do_POST(self):
                length = self.headers.get("Content-Length")
                if length is None or not length.isdigit():
                    return self._answer(411, "Content-Length required")
                if int(length) > MAX_BODY_BYTES:
                    return self._answer(413, "body too large")
                body = self.rfile.read(int(length))
                problems = verify(secret, self.headers, body, now=time.time())
                command._show(self.headers, body, problems)
                self._answer(400 if problems else 200, "; ".join(problems) or "verified")
                with self.server.lock:
                    self.server.deliveries += 1
                    done = self.server.limit is not None and (
                        self.server.deliveries >= self.server.limit
                    )
                if done:
                    # shutdown() waits for serve_forever to return: not from its own thread.
                    threading.Thread(target=self.server.shutdown, daemon=True).start()

            def _answer(self, status: int, text: str) -> None:
                payload = (text + "\n").encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):
                pass  # each delivery is printed by _show; no access log on top

        return Handler

    _output = threading.Lock()

    def _show(self, headers, body: bytes, problems: list[str]) -> None:
        try:
            payload = json.loads(body)
        except ValueError:
            payload, shown = None, body.decode("utf-8", "replace")
        else:
            shown = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True)
        fields = payload if isinstance(payload, dict) else {}
        event_type = headers.get("X-Vectis-Event") or fields.get("type") or "?"
        event_id = headers.get("webhook-id") or fields.get("id") or "?"
        delivery = headers.get("X-Vectis-Delivery") or "?"
        verdict = "verified" if not problems else f"NOT VERIFIED ({'; '.join(problems)})"
        with self._output:
            self.stdout.write(f"{event_type} {event_id} {delivery} {verdict}")
            self.stdout.write(shown)
            self.stdout.flush()
