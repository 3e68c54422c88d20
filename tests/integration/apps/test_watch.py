"""A task swarm restarts on a new address gets the app's requests within seconds
(apps.watch), not at the next reconcile."""

from __future__ import annotations

import re
import time

import pytest

from apps import deploy, services, watch
from apps.engine import running_addresses
from apps.models import Status
from paas import naming
from routing import files

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def group(app_name: str) -> set[str]:
    """The task addresses in the app's gateway file."""
    text = files.live_sites(files.layout())[app_name].read_text()
    return set(re.findall(r"^\s+server ([\d.]+):\d+ max_fails", text, re.M))


def running(app_name: str) -> set[str]:
    found = running_addresses(naming.apps_network(), naming.app_service(app_name))
    return {address for addresses in found.values() for address in addresses}


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
