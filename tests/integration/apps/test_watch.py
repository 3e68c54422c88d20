"""apps.watch: a task swarm restarts on a new address gets the app's requests within
seconds, not at the next reconcile; a broken event stream leads to a reconcile pass."""

from __future__ import annotations

import time

import pytest

from apps import deploy, services, watch
from apps.models import Status
from paas import naming
from paas.models import AuditEvent
from tests.support.apps import gateway_group as group
from tests.support.apps import let_go
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


def test_after_the_event_stream_broke_every_app_is_looked_at_again(
    people, images, gateway, deploy_worker, finished, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="phoenix")
    assert finished(deploy.deploy_image(app=app, principal=dev, image=images.web)).status == (
        Status.HEALTHY
    )
    let_go(app)
    watcher = watch.Watcher()
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while watcher._stream is None:
            assert time.monotonic() < deadline, "the watcher never followed the engine"
            time.sleep(0.1)
        # What an engine restart does to the stream: it ends. Meanwhile the service
        # goes, and no event of it is seen.
        watcher._stream.close()
        engine.services.get(naming.app_service("phoenix")).remove()

        # Following again, the watcher runs a reconcile pass, which puts it back.
        repaired = AuditEvent.objects.filter(action="app.repair", target="phoenix")
        deadline = time.monotonic() + 30
        while not repaired.exists():
            assert time.monotonic() < deadline, "no reconcile pass put the service back"
            time.sleep(0.2)
    finally:
        watcher.stop()
    assert "missing" in repaired.get().data["repaired"][0]
    assert gateway.wait_for("phoenix.localhost", "/cgi-bin/info").status == 200
