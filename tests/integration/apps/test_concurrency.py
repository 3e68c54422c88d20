"""Deploys of different apps run side by side; deploys of one app queue, never refused."""

from __future__ import annotations

import time

import pytest

from apps import deploy, locks, pipeline, services
from apps.models import Status

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_apps_deployed_at_once_both_become_healthy_in_parallel(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    one = services.create_app(team=people.team, principal=dev, name="one", env={"MESSAGE": "1"})
    two = services.create_app(team=people.team, principal=dev, name="two", env={"MESSAGE": "2"})

    first = deploy.deploy_image(app=one, principal=dev, image=images.web)
    second = deploy.deploy_image(app=two, principal=dev, image=images.web)
    first, second = finished(first), finished(second)

    assert first.status == Status.HEALTHY, first.log
    assert second.status == Status.HEALTHY, second.log
    # Neither waited for the other: their run times overlap.
    assert first.started_at < second.finished_at
    assert second.started_at < first.finished_at
    assert gateway.wait_for("one.localhost", "/cgi-bin/info").fact("message") == "1"
    assert gateway.wait_for("two.localhost", "/cgi-bin/info").fact("message") == "2"


def test_deploys_of_one_app_queue_behind_the_running_one_and_never_overlap(
    people, images, gateway, deploy_worker, finished
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="busy")
    assert finished(deploy.deploy_image(app=app, principal=dev, image=images.web)).status == (
        Status.HEALTHY
    )
    # Hold the app's lock as a running deployment would (once the first one let go:
    # it says healthy, then cleans up before it releases the lock).
    lock = locks.app_lock(app.pk)
    assert lock.acquire(blocking=True, blocking_timeout=30)
    try:
        second = deploy.deploy_image(app=app, principal=dev, image=images.web)
        third = deploy.deploy_image(app=app, principal=dev, image=images.web)
        services.update_app(app=app, principal=dev, instances=2)
        fourth = app.deployments.get(number=4)
        time.sleep(1)  # the worker got the tasks and had to leave them queued
        second.refresh_from_db()
        third.refresh_from_db()
        fourth.refresh_from_db()

        # A newer version replaced the queued one; the settings change queues behind it.
        assert second.status == Status.CANCELLED
        assert second.reason == "Replaced by #3."
        assert third.status == Status.QUEUED
        assert fourth.status == Status.QUEUED
    finally:
        lock.release()
    pipeline.start_next(app.pk)  # what the lock holder does when it finishes

    third, fourth = finished(third), finished(fourth)
    assert third.status == Status.HEALTHY, third.log
    assert fourth.status == Status.HEALTHY, fourth.log
    assert third.finished_at <= fourth.started_at
    assert fourth.config["instances"] == 2
