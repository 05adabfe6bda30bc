"""In-process background work (the embedded default): what is queued after the pool has shut
down (a management command returning while background work still finishes) runs at once
instead of failing with "cannot schedule new futures after shutdown"."""

import threading

import pytest
from celery import current_app

from vectis import tasks


class Recorder:
    name = "tests.recorder"

    def __init__(self):
        self.calls = []

    def apply(self, args, throw=False):
        self.calls.append((args, threading.current_thread().name))


@pytest.fixture
def in_process(settings, monkeypatch):
    settings.VECTIS_BACKGROUND_INLINE = False
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True  # no broker: the embedded default
    monkeypatch.setattr(tasks, "_pool", None)
    yield
    tasks.settle()
    current_app.conf.task_always_eager = eager


def test_work_queued_after_the_pool_shut_down_runs_at_once(in_process):
    recorder = Recorder()
    assert tasks.enqueue(recorder, (1,))
    tasks.settle()
    assert recorder.calls[0][0] == (1,) and recorder.calls[0][1].startswith("vectis-bg")
    tasks._background_pool().shutdown(wait=True)  # as at interpreter exit

    assert tasks.enqueue(recorder, (2,))

    assert recorder.calls[1] == ((2,), threading.current_thread().name)
