"""Celery signals: each task's log context (its id, name and the request that queued it) and
its outcome and duration in the metrics. Connected for workers and in-process tasks alike."""

import time

from celery import signals

from vectis import logs

_started: dict[str, float] = {}
_log = logs.get_logger("vectis.task")


@signals.before_task_publish.connect
def _carry_request_id(sender=None, headers=None, **kwargs):
    """The request that queues a task travels with it (in the message headers)."""
    request_id = logs.current_request_id()
    if request_id and headers is not None:
        headers.setdefault(logs.REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    _started[task_id] = time.perf_counter()
    request_id = getattr(task.request, logs.REQUEST_ID_HEADER, None) if task else None
    logs.task_started(task_id=task_id, task=getattr(task, "name", "?"), request_id=request_id)


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    seconds = time.perf_counter() - started if started is not None else None
    outcome = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}.get(
        state or "", (state or "unknown").lower()
    )
    from vectis import metrics  # not at import: this module loads with Celery, before Django

    metrics.observe_task(getattr(task, "name", "?"), outcome, seconds)
    duration_ms = round(seconds * 1000, 2) if seconds is not None else None
    _log.info("task", outcome=outcome, duration_ms=duration_ms)
    logs.task_finished(task_id)
