"""`make run`: Vectis on the embedded default, in one process."""

import errno
import io
import logging
import socket
import threading
import time

from celery import current_app
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from vectis.scheduler import Scheduler


class Command(BaseCommand):
    help = (
        "Run Vectis on the embedded default: apply migrations, seed the demo account, serve "
        "HTTP and run the periodic work (hold expiry, backorders, webhook retries, outbox "
        "relay, low-stock sweep) in this process, then print the demo credentials. For "
        "development and trying Vectis out; production runs gunicorn and Celery "
        "(docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not run the periodic work here."
        )
        parser.add_argument("--rotate", action="store_true", help="A new demo secret.")

    def handle(self, *args, host, port, no_scheduler, rotate, **options):
        self._check_port(host, port)
        if options["verbosity"] < 2:
            # Each request still gets its line; the in-process tasks (the periodic ones every
            # few seconds) only when one fails. -v 2 shows them all.
            logging.getLogger("vectis.task").setLevel(logging.WARNING)
        base = f"http://{host}:{port}"
        self._step("Preparing the database")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        credentials = io.StringIO()
        seed = ["--base-url", base, *(["--rotate"] if rotate else [])]
        call_command("seed_demo", *seed, stdout=credentials)
        scheduler = None
        if not no_scheduler and current_app.conf.task_always_eager:
            scheduler = Scheduler().start()
        announced = threading.Thread(
            target=self._announce, args=(host, port, credentials.getvalue(), scheduler), daemon=True
        )
        announced.start()
        try:
            call_command(
                "runserver",
                f"{host}:{port}",
                use_reloader=False,
                skip_checks=True,
                stdout=io.StringIO(),  # its banner: the credentials come last instead
            )
        finally:
            if scheduler is not None:
                scheduler.stop()

    def _step(self, text: str) -> None:
        self.stderr.write(f"· {text}…")

    def _check_port(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # as the server will: only another listener makes the port busy
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise CommandError(
                        f"Port {port} on {host} is already in use (is Vectis running in another "
                        f"terminal?). Stop that, or pick another port: make run PORT={port + 1}"
                    ) from None
                raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None

    def _announce(self, host, port, credentials: str, scheduler) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            return
        periodic = (
            "Periodic work (hold expiry, backorders, webhook retries) runs in this process."
            if scheduler is not None
            else "Periodic work is left to Celery beat."
        )
        self.stdout.write(
            f"{credentials.rstrip()}\n\n{periodic}\n"
            f"Vectis is running at http://{host}:{port}/ (admin: /admin/) — Ctrl-C stops it.\n"
        )
        self.stdout.flush()
