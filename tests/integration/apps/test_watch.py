"""A task swarm restarts on a new address gets the app's requests within seconds
(apps.watch), not at the next reconcile."""

from __future__ import annotations

import time

import pytest

from apps import deploy, services, watch
from apps.models import Status
from paas import naming
from tests.support.apps import gateway_group as group
from tests.support.apps import running_tasks as running

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_swarm_restarts_is_routed_within_seconds(
    people, images, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="lazarus")
    deployment = deploy.deploy_image(app=app, principal=dev, image=images.web)
    assert finished(deployment).status == Status.HEALTHY
    gateway.wait_for("lazarus.localhost", "/cgi-bin/info")
    before = running("lazarus")
    assert group("lazarus") == before

    watcher = watch.Watcher()
    watcher.start()
    try:
        service = naming.app_service("lazarus")
        (task,) = engine.api.containers(
            filters={"label": f"com.docker.swarm.service.name={service}"}
        )
        engine.api.kill(task["Id"])
        # Swarm starts another task a second later, on another address; no reconcile
        # runs here, so only the watcher can put it in the gateway's file.
        deadline = time.monotonic() + 15
        while not (running("lazarus") - before and group("lazarus") == running("lazarus")):
            assert time.monotonic() < deadline, (
                f"the gateway still sends to {group('lazarus')}; running: {running('lazarus')}"
            )
            time.sleep(0.2)
    finally:
        watcher.stop()
    assert not group("lazarus") & before
    assert gateway.get("lazarus.localhost", "/cgi-bin/info").status == 200
