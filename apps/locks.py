"""Per-app locks in Redis: work on one app is serial, different apps run in parallel."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator

import redis
from django.conf import settings
from redis.lock import Lock

from paas import naming

log = logging.getLogger(__name__)

# The holder renews the lock while it works; a dead holder's lock expires.
LOCK_TTL = 60


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def connection() -> redis.Redis:
    return _redis(settings.REDIS_URL)


def app_lock(app_id: int) -> Lock:
    # Not thread-local: the heartbeat thread renews what the worker thread took.
    lock: Lock = connection().lock(
        f"berth:{naming.namespace()}:app:{app_id}", timeout=LOCK_TTL, thread_local=False
    )
    return lock


def is_locked(app_id: int) -> bool:
    return bool(app_lock(app_id).locked())


@contextlib.contextmanager
def unless_busy(app_id: int) -> Iterator[bool]:
    """Hold the app's lock for the block if no one does; yields whether it was taken
    (periodic work skips an app whose deployment holds it, and looks again later)."""
    lock = app_lock(app_id)
    taken = bool(lock.acquire(blocking=False))
    try:
        yield taken
    finally:
        if taken:
            try:
                lock.release()
            except redis.exceptions.LockError:  # expired meanwhile: nothing to release
                log.debug("lock of app %s already gone", app_id)
