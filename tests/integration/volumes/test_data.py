"""Data written through an app lives in its volume: through redeploys, rollbacks,
scaling to 0 and back, detaching and attaching again (real swarm, gateway, worker)."""

from __future__ import annotations

from typing import Any

import pytest

from apps import deploy, services
from apps.volumes import services as volume_services
from apps.volumes.models import NodeSource, Volume
from paas import naming
from tests.integration.volumes.conftest import data_of, healthy, latest, write

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def spec_of(engine: Any, app: str) -> dict[str, Any]:
    spec: dict[str, Any] = engine.api.inspect_service(naming.app_service(app))["Spec"]
    return spec


def test_a_volume_attached_to_a_running_app_keeps_its_data_through_redeploy_rollback_and_scaling(
    people, images, gateway, deploy_worker, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="keeper")
    first = healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    assert data_of(gateway, "keeper", None) is None  # created without volumes
    volume = volume_services.create_volume(team=people.team, principal=dev, name="data")

    _, attach = volume_services.attach(app=app, principal=dev, volume="data", path="/data")

    assert attach is not None
    attached = healthy(attach)
    assert attached.image == first.image  # the same version, now with the volume
    mounts = spec_of(engine, "keeper")["TaskTemplate"]["ContainerSpec"]["Mounts"]
    assert [(m["Source"], m["Target"]) for m in mounts] == [(volume.engine_name, "/data")]
    assert spec_of(engine, "keeper")["UpdateConfig"]["Order"] == "stop-first"
    volume.refresh_from_db()
    local_node = engine.info()["Swarm"]["NodeID"]
    assert (volume.node_id, volume.node_source) == (local_node, NodeSource.FIRST_USE)
    write(gateway, "keeper", "kept-1")
    assert data_of(gateway, "keeper", "kept-1") == "kept-1"

    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    assert (
        f"node.id=={local_node}"
        in spec_of(engine, "keeper")["TaskTemplate"]["Placement"]["Constraints"]
    )
    assert data_of(gateway, "keeper", "kept-1") == "kept-1"

    back = healthy(deploy.rollback(deployment=first, principal=dev))
    assert back.source == "rollback"
    assert data_of(gateway, "keeper", "kept-1") == "kept-1"

    services.update_app(app=app, principal=dev, instances=0)
    healthy(latest(app))
    assert gateway.get("keeper.localhost", "/cgi-bin/info").status == 503
    services.update_app(app=app, principal=dev, instances=1)
    healthy(latest(app))
    assert data_of(gateway, "keeper", "kept-1") == "kept-1"


def test_detaching_hides_the_data_from_the_app_and_attaching_again_brings_it_back(
    people, images, gateway, deploy_worker, engine
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="toggle")
    volume = volume_services.create_volume(team=people.team, principal=dev, name="files")
    mount, before_deploy = volume_services.attach(
        app=app, principal=dev, volume="files", path="/data"
    )
    assert before_deploy is None  # it applies with the first deployment
    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    write(gateway, "toggle", "persisted")

    detach = volume_services.detach(mount=mount, principal=dev)

    assert detach is not None
    healthy(detach)
    assert "Mounts" not in spec_of(engine, "toggle")["TaskTemplate"]["ContainerSpec"]
    assert data_of(gateway, "toggle", None) is None
    assert engine.volumes.get(volume.engine_name)  # the data stays
    _, again = volume_services.attach(app=app, principal=dev, volume="files", path="/data")
    assert again is not None
    healthy(again)
    assert data_of(gateway, "toggle", "persisted") == "persisted"
    assert Volume.objects.get(pk=volume.pk).node_id  # placed on first use
