"""The reaper: a deployment whose worker died is failed with a reason; nothing stays running."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps import locks, reconcile, services
from apps.models import Deployment, Source, Status

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_deployment_whose_worker_stopped_beating_is_failed_with_a_reason(
    people, redis_url, settings
):
    settings.BERTH_DEPLOY_STALE_SECONDS = 60
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="orphan")
    long_ago = timezone.now() - timedelta(minutes=5)
    dead = Deployment.objects.create(
        app=app,
        number=1,
        source=Source.IMAGE,
        image="x:1",
        status=Status.DEPLOYING,
        started_at=long_ago,
        heartbeat_at=long_ago,
    )
    alive = Deployment.objects.create(
        app=app,
        number=2,
        source=Source.IMAGE,
        image="x:1",
        status=Status.BUILDING,
        started_at=long_ago,
        heartbeat_at=timezone.now(),
    )

    result = reconcile.reap()

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert result["failed"] == 1
    assert dead.status == Status.FAILED
    assert "stopped responding" in dead.reason
    assert dead.finished_at is not None
    assert alive.status == Status.BUILDING


def test_a_queued_deployment_left_behind_is_started_again_unless_its_app_is_busy(
    people, redis_url, settings, monkeypatch
):
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="stuck")
    busy = services.create_app(team=people.team, principal=people.principal("owner"), name="busy")
    old = timezone.now() - timedelta(minutes=2)
    for target in (app, busy):
        Deployment.objects.create(
            app=target, number=1, source=Source.IMAGE, image="x:1", created_at=old
        )
    sent: list[int] = []
    from apps.tasks import run_deployment

    monkeypatch.setattr(run_deployment, "delay", lambda pk: sent.append(pk))
    lock = locks.app_lock(busy.pk)
    lock.acquire(blocking=False)
    try:
        result = reconcile.reap()
    finally:
        lock.release()

    assert result["restarted"] == 1
    assert sent == [Deployment.objects.get(app=app).pk]
