import signal
import threading

from django.core.management.base import BaseCommand

from orders import dispatcher


class Command(BaseCommand):
    help = (
        "Run the dispatcher: fan out committed webhook events, allocate orders whose "
        "allocation was asked for and backorders of stock that became free, in batches, and "
        "watch low stock, continuously. Run one or more next to the Celery workers; stops "
        "cleanly on SIGTERM/SIGINT."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Work until nothing is left, then exit."
        )
        parser.add_argument(
            "--idle", type=float, default=None, help="Seconds to wait when a round found nothing."
        )

    def handle(self, *args, once, idle, **options):
        if once:
            done = dispatcher.drain()
            self.stdout.write(
                f"fanned out {done.events} event(s), allocated {done.orders} order(s), served "
                f"backorders of {done.freed} product(s) with freed stock"
            )
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stderr.write("dispatching (Ctrl-C to stop)")
        dispatcher.run(stop, idle=idle)
