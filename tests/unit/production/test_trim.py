"""Freed heap handed back to the system after a burst of requests or tasks (trim.py)."""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from paas.production import trim


class Recorder:
    """Stands in for malloc_trim: counts the calls and when they came."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.called = threading.Event()

    def __call__(self) -> int:
        self.calls.append(time.monotonic())
        self.called.set()
        return 1


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_the_c_library_here_has_malloc_trim_and_a_call_returns():
    function = trim._libc_trim()
    assert function is not None
    assert function() in (0, 1)


def test_without_malloc_trim_in_the_c_library_nothing_is_trimmed_and_no_thread_starts(
    monkeypatch: pytest.MonkeyPatch,
):
    class Musl:  # a C library without the function (musl, macOS)
        def __init__(self, name: object) -> None:
            pass

    monkeypatch.setattr(ctypes, "CDLL", Musl)
    assert trim._libc_trim() is None
    trimmer = trim.Trimmer(trim._libc_trim())
    assert not trimmer.enabled
    trimmer.poke()
    assert trimmer.thread is None
    assert trimmer.trims == 0


def test_a_burst_is_trimmed_once_after_it_ends_and_the_next_burst_again():
    recorder = Recorder()
    trimmer = trim.Trimmer(recorder, delay=0.5)
    started = time.monotonic()
    for _ in range(8):
        trimmer.poke()
        last = time.monotonic()  # after the poke: a slow sleep below must not count
        time.sleep(0.05)
    assert recorder.called.wait(5)
    assert len(recorder.calls) == 1
    # Not in the burst's way: only after it had been quiet for the delay.
    assert recorder.calls[0] - last >= 0.45
    assert recorder.calls[0] - started >= 0.8
    time.sleep(0.7)
    assert len(recorder.calls) == 1, "trimmed again while nothing happened"
    trimmer.poke()
    assert wait_for(lambda: len(recorder.calls) == 2)
    assert trimmer.trims == 2


@pytest.fixture
def recorder_trimmer() -> tuple[Recorder, trim.Trimmer]:
    recorder = Recorder()
    return recorder, trim.Trimmer(recorder, delay=0.05)


@pytest.mark.django_db
def test_the_web_trims_after_a_page_but_not_after_its_health_check(client: Any, recorder_trimmer):
    recorder, trimmer = recorder_trimmer
    undo = trim.after_requests(trimmer)
    try:
        assert client.get("/healthz").status_code == 200
        time.sleep(0.3)
        assert recorder.calls == []
        assert client.get("/accounts/login/").status_code == 200
        assert recorder.called.wait(5)
    finally:
        undo()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_trims_after_a_task_has_run(celery_worker: Any, recorder_trimmer):
    from apps.tasks import reap_deployments

    recorder, trimmer = recorder_trimmer
    undo = trim.after_tasks(trimmer)
    try:
        reap_deployments.delay()
        assert recorder.called.wait(30), "no trim after the task"
    finally:
        undo()
