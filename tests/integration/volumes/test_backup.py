"""Backup as a tar.gz from a helper container, restore from an upload: the same bytes come back."""

from __future__ import annotations

import io
import tarfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps import deploy, services
from apps.volumes import services as volume_services
from apps.volumes.models import NodeSource
from paas.models import AuditEvent
from tests.integration.volumes.conftest import data_of, files_of, healthy, latest, write

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def download(api, name: str) -> bytes:
    response = api.get(f"/api/v1/volumes/{name}/backup/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/gzip"
    assert f'filename="{name}-' in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def upload(api, name: str, archive: bytes):
    return api.post(
        f"/api/v1/volumes/{name}/restore/",
        {"archive": SimpleUploadedFile("backup.tar.gz", archive)},
        format="multipart",
    )


def archive_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def test_backup_then_restore_gives_the_same_bytes(
    people, images, gateway, deploy_worker, engine, api
):
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="vault")
    volume_services.create_volume(team=people.team, principal=dev, name="safe")
    volume_services.attach(app=app, principal=dev, volume="safe", path="/data")
    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    write(gateway, "vault", "original-bytes")
    api.force_authenticate(people.developer)

    first = download(api, "safe")

    assert files_of(first) == {"value": b"original-bytes"}
    write(gateway, "vault", "changed-later")
    refused = upload(api, "safe", first)
    assert refused.status_code == 400
    assert "Scale vault to 0 first" in refused.json()["error"]["fields"]["archive"]

    services.update_app(app=app, principal=dev, instances=0)
    healthy(latest(app))
    restored = upload(api, "safe", first)
    assert restored.status_code == 200, restored.json()
    assert restored.json()["restored_bytes"] == len(first)
    services.update_app(app=app, principal=dev, instances=1)
    healthy(latest(app))

    assert data_of(gateway, "vault", "original-bytes") == "original-bytes"
    assert files_of(download(api, "safe")) == files_of(first)
    assert AuditEvent.objects.filter(action="volume.restore", target="safe").exists()
    assert AuditEvent.objects.filter(action="volume.backup", target="safe").count() == 2


def test_a_broken_upload_leaves_the_data_alone(people, images, engine, api, namespace, settings):
    settings.BERTH_GATEWAY_IMAGE = images.web  # a helper image with tar, nothing deployed
    dev = people.principal("developer")
    volume = volume_services.create_volume(team=people.team, principal=dev, name="intact")
    api.force_authenticate(people.developer)
    good = archive_of({"value": b"v1", ".hidden": b"h", "sub/deep.txt": b"d" * 5000})
    assert upload(api, "intact", good).status_code == 200

    broken = upload(api, "intact", good[:-20])
    escaping = io.BytesIO()
    with tarfile.open(fileobj=escaping, mode="w:gz") as tar:
        info = tarfile.TarInfo("../outside")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    outside = upload(api, "intact", escaping.getvalue())

    assert broken.status_code == 400
    assert "not a tar.gz archive" in broken.json()["error"]["fields"]["archive"]
    assert outside.status_code == 400
    assert "points outside the volume" in outside.json()["error"]["fields"]["archive"]
    assert files_of(download(api, "intact")) == {
        "value": b"v1",
        ".hidden": b"h",
        "sub/deep.txt": b"d" * 5000,
    }
    # A restore replaces: files the archive lacks (hidden ones too) are gone.
    assert upload(api, "intact", archive_of({"other": b"o"})).status_code == 200
    assert files_of(download(api, "intact")) == {"other": b"o"}
    # The helper ran here first: the local volume stays on this node.
    volume.refresh_from_db()
    assert (volume.node_id, volume.node_source) == (
        engine.info()["Swarm"]["NodeID"],
        NodeSource.FIRST_USE,
    )
    assert not engine.api.containers(all=True, filters={"label": f"berth.namespace={namespace}"})


def test_an_image_without_tar_is_a_clear_error(people, engine, api, settings, namespace):
    # A scratch image holding one file: the engine cannot start tar in it.
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, body in (("Dockerfile", b"FROM scratch\nCOPY note /note\n"), ("note", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    context.seek(0)
    tag = f"berth-test/notar:{namespace}"
    engine.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    try:
        settings.BERTH_VOLUME_HELPER_IMAGE = tag
        settings.BERTH_GATEWAY_IMAGE = "berth-test/not-here:0"
        volume_services.create_volume(
            team=people.team, principal=people.principal("developer"), name="stuck"
        )
        api.force_authenticate(people.developer)

        response = api.get("/api/v1/volumes/stuck/backup/")

        assert response.status_code == 400
        message = response.json()["error"]["message"]
        assert f"The image {tag} has no tar" in message
        assert "BERTH_VOLUME_HELPER_IMAGE" in message
        assert not engine.containers.list(
            all=True, filters={"label": f"berth.namespace={namespace}"}
        )
    finally:
        engine.images.remove(tag, force=True)
