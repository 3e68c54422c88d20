"""Driver options reach the engine; host access follows the policy on the real swarm;
a volume in use cannot be deleted, and deleting its app can take it along."""

from __future__ import annotations

import time

import docker.errors
import pytest
from django.core.exceptions import ValidationError

from apps import deploy, services
from apps.models import Deployment
from apps.volumes import services as volume_services
from apps.volumes.models import Volume
from paas import naming
from tests.integration.volumes.conftest import data_of, healthy, write

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_tmpfs_typed_local_volume_is_made_with_its_options(
    people, images, gateway, deploy_worker, engine, namespace
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="scratch")
    volume = volume_services.create_volume(
        team=people.team,
        principal=dev,
        name="cache",
        driver_options={"type": "tmpfs", "device": "tmpfs", "o": "size=1m"},
        labels={"purpose": "test"},
    )
    volume_services.attach(app=app, principal=dev, volume="cache", path="/data")

    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    write(gateway, "scratch", "in-memory")

    made = engine.volumes.get(volume.engine_name).attrs
    assert made["Driver"] == "local"
    assert made["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    assert made["Labels"]["berth.namespace"] == namespace
    assert made["Labels"]["berth.volume"] == "cache"
    assert made["Labels"]["purpose"] == "test"
    assert data_of(gateway, "scratch", "in-memory") == "in-memory"
    # Memory is not a node's disk: no pin, and updates keep starting first.
    spec = engine.api.inspect_service(naming.app_service("scratch"))["Spec"]
    assert spec["UpdateConfig"]["Order"] == "start-first"
    constraints = spec["TaskTemplate"]["Placement"].get("Constraints") or []
    assert not any(c.startswith("node.id") for c in constraints)


def test_a_trusted_team_mounts_an_allowed_host_path_and_others_are_refused(
    people, images, gateway, deploy_worker, settings, tmp_path
):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "value").write_text("from-the-host")
    settings.BERTH_BIND_PREFIXES = [str(tmp_path)]
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="binder")

    with pytest.raises(ValidationError) as untrusted:
        volume_services.attach(app=app, principal=dev, host_path=str(shared), path="/data")
    with pytest.raises(ValidationError) as disguised:
        volume_services.create_volume(
            team=people.team,
            principal=dev,
            name="etc",
            driver_options={"type": "none", "o": "bind", "device": "/etc"},
        )
    people.team.trusted = True
    people.team.save()
    with pytest.raises(ValidationError) as socket:
        volume_services.attach(app=app, principal=dev, host_path="/var/run/docker.sock", path="/s")

    assert "trusts" in str(untrusted.value)
    assert "trusts" in str(disguised.value)
    assert "outside the allowed prefixes" in str(socket.value)
    volume_services.attach(
        app=app, principal=dev, host_path=str(shared), path="/data", read_only=True
    )
    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    assert data_of(gateway, "binder", "from-the-host") == "from-the-host"
    assert "stored" not in gateway.get("binder.localhost", "/cgi-bin/write?x").body  # read-only
    assert Deployment.objects.filter(app=app).count() == 1


def wait_gone(volume: Volume, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while Volume.objects.filter(pk=volume.pk).exists():
        if time.monotonic() > deadline:
            left = Volume.objects.get(pk=volume.pk)
            raise AssertionError(f"{volume.name} still there: {left.last_error}")
        time.sleep(0.3)


def test_a_volume_in_use_is_kept_and_goes_with_its_app_when_asked(
    people, images, gateway, deploy_worker, engine, api
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="owner-app")
    volume = volume_services.create_volume(team=people.team, principal=dev, name="precious")
    volume_services.attach(app=app, principal=dev, volume="precious", path="/data")
    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    write(gateway, "owner-app", "keep-me")
    api.force_authenticate(people.admin)

    refused = api.delete("/api/v1/volumes/precious/")

    assert refused.status_code == 409
    assert "in use by owner-app" in refused.json()["error"]["message"]
    assert engine.volumes.get(volume.engine_name)

    deleted = api.delete("/api/v1/apps/owner-app/?delete_volumes=1")

    assert deleted.status_code == 202
    assert deleted.json()["volumes_deleted"] == ["precious"]
    wait_gone(volume)
    with pytest.raises(docker.errors.NotFound):
        engine.volumes.get(volume.engine_name)
