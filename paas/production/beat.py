"""Celery beat inside the worker: a thread, one scheduler per namespace.

A beat service of its own cost a second Python process (about 33 MB at idle) to send
a handful of task names a minute. The worker runs it as a thread instead
(``python -m paas.production.worker --beat``), with Celery's embedded service.

Only one scheduler may send: the stack runs one worker replica, but an upgrade
starts the new worker before the old one stops (start-first), and an operator may
scale the worker up. So the scheduler sends only while it holds a Redis lock
(renewed as it ticks, released when the worker stops, expiring if it dies); the
others wait. Every scheduler touches :data:`paas.production.alive.BEAT` on each
tick, holder or not: the worker's health check reads its age.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import redis
from celery import bootsteps
from celery.beat import EmbeddedService, PersistentScheduler
from redis.exceptions import LockError

from apps.locks import connection
from paas import naming
from paas.production import alive

# A holder that stops ticking (killed, frozen) loses the lock after this long.
LOCK_TTL = 30.0
# How often the holder renews the lock, and a waiting scheduler tries to take it.
RENEW_SECONDS = 5.0


def lock_name() -> str:
    return f"berth:{naming.namespace()}:beat"


class Scheduler(PersistentScheduler):
    """The default scheduler, sending only while it holds the namespace's lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = connection().lock(lock_name(), timeout=LOCK_TTL, thread_local=False)
        self.held = False
        self.checked = 0.0
        super().__init__(*args, **kwargs)

    def holds_lock(self) -> bool:
        now = time.monotonic()
        if now - self.checked < RENEW_SECONDS:
            return self.held
        self.checked = now
        try:
            if self.held:
                self.lock.reacquire()
            else:
                self.held = self.lock.acquire(blocking=False)
        except (LockError, redis.RedisError):
            # Lost (expired and taken), or Redis is away: nothing could be sent anyway.
            self.held = False
        return self.held

    def tick(self, *args: Any, **kwargs: Any) -> float:
        alive.touch(alive.BEAT)
        if not self.holds_lock():
            return RENEW_SECONDS
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.held:
                self.held = False
                # Expired already, the next holder may have it: nothing to give back.
                with contextlib.suppress(LockError, redis.RedisError):
                    self.lock.release()


class Beat(bootsteps.StartStopStep):
    """The worker's step running beat as a thread (Celery's own ``-B`` forks a process)."""

    label = "Beat thread"
    conditional = True
    # Stopped before the pool: the worker stops scheduling as soon as it is told
    # to stop, not once its running tasks have finished.
    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, beat_thread: bool = False, **kwargs: Any) -> None:
        self.enabled = beat_thread
        super().__init__(parent, **kwargs)

    def create(self, parent: Any) -> Any:
        return EmbeddedService(
            parent.app,
            thread=True,
            schedule_filename=parent.schedule_filename,
            scheduler_cls=Scheduler,
        )
