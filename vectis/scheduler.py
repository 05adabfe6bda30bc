"""The periodic work, in-process: what Celery beat does where there is a broker, for the
embedded default (`make run`, `manage.py serve`) where there is none.

Every entry of CELERY_BEAT_SCHEDULE (expire holds, fill backorders, retry webhooks, relay the
outbox, sweep low stock, purge keys and tokens) runs on one daemon thread at its interval,
through the task itself (`task.apply`, in this process). A failing run is logged and tried
again at its next interval; one slow run delays the others, never the web server.
"""

import heapq
import logging
import threading
import time

from celery import current_app
from django.conf import settings
from django.db import connections

logger = logging.getLogger("vectis.scheduler")


class Scheduler:
    def __init__(self, schedule: dict | None = None):
        schedule = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
        self.entries = {
            name: (entry["task"], float(entry["schedule"])) for name, entry in schedule.items()
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs: dict[str, int] = dict.fromkeys(self.entries, 0)

    def start(self) -> "Scheduler":
        current_app.loader.import_default_modules()  # every app's tasks registered first
        self._thread = threading.Thread(target=self._loop, name="vectis-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        now = time.monotonic()
        # each entry first runs one interval after the start, as beat does
        due = [(now + interval, name) for name, (_, interval) in self.entries.items()]
        heapq.heapify(due)
        while due and not self._stop.is_set():
            at, name = due[0]
            if self._stop.wait(max(0.0, at - time.monotonic())):
                break
            heapq.heappop(due)
            self.run(name)
            heapq.heappush(due, (max(at + self.entries[name][1], time.monotonic()), name))
        connections.close_all()

    def run(self, name: str) -> None:
        task_name, _ = self.entries[name]
        try:
            if task_name not in current_app.tasks:
                current_app.loader.import_default_modules()
            current_app.tasks[task_name].apply(throw=True)
            self.runs[name] += 1
        except Exception:
            logger.exception("periodic %s failed; it runs again at its next interval", name)
        finally:
            connections.close_all()  # this thread's connection, not held between runs
