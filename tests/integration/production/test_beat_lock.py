"""Beat inside the worker: one scheduler per namespace sends, through a lock in the real Redis."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from apps.locks import connection
from paas.celery import app
from paas.production import alive, beat

pytestmark = pytest.mark.integration


@pytest.fixture
def schedulers(redis_url, settings, tmp_path, monkeypatch):
    settings.BERTH_NAMESPACE = f"beatlock{secrets.token_hex(3)}"
    monkeypatch.setattr(alive, "BEAT", tmp_path / "beat.alive")
    made: list[beat.Scheduler] = []

    def make(name: str) -> beat.Scheduler:
        scheduler = beat.Scheduler(app=app, schedule_filename=str(tmp_path / name), lazy=True)
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.close()


def expire(scheduler: beat.Scheduler) -> None:
    """As if RENEW_SECONDS had passed since the scheduler last asked."""
    scheduler.checked = 0.0


def test_only_one_of_two_workers_schedules_until_the_holder_stops(schedulers):
    old, new = schedulers("old"), schedulers("new")
    assert old.holds_lock()
    assert not new.holds_lock()
    expire(old)
    expire(new)
    assert old.holds_lock(), "the holder renews its lock"
    assert not new.holds_lock()

    old.close()  # the old worker stops (warm shutdown stops beat first)
    expire(new)
    assert new.holds_lock(), "the next scheduler takes over at once"


def test_a_waiting_scheduler_sends_nothing_but_still_shows_it_is_alive(schedulers, tmp_path):
    holder, waiting = schedulers("holder"), schedulers("waiting")
    assert holder.holds_lock()
    assert waiting.tick() == beat.RENEW_SECONDS
    assert Path(tmp_path / "beat.alive").exists()


def test_a_holder_that_stopped_ticking_loses_the_lock_when_it_expires(schedulers):
    stuck, next_one = schedulers("stuck"), schedulers("next")
    assert stuck.holds_lock()
    connection().delete(beat.lock_name())  # what the TTL does to a frozen holder's lock
    expire(next_one)
    assert next_one.holds_lock()
    expire(stuck)
    assert not stuck.holds_lock(), "a lost lock is noticed at the next renewal"
