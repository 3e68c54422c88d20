"""Per-app locks in Redis: work on one app is serial, different apps run in parallel."""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from redis.lock import Lock

from paas import naming

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
