import time

from django.core.management.base import BaseCommand

from webhooks import services


class Command(BaseCommand):
    help = (
        "Fan out events the broker missed and send deliveries whose retry is due. Celery beat "
        "runs this every 15 s; run it yourself (with --loop) on the embedded default, where "
        "there is no beat."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep sweeping.")
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between sweeps.")

    def handle(self, *args, **options):
        while True:
            result = services.sweep()
            self.stdout.write(
                f"fanned out {result.events_fanned_out} event(s), "
                f"queued {result.deliveries_queued} delivery attempt(s)"
            )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
