"""/api/v1/apps/{name}/deployments/: sources, rollback, cancel, secrets, personas."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from apps import services
from apps.models import AppSecret, Deployment, Source, Status
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api, people):
    api.force_authenticate(people.developer)
    return api


@pytest.fixture
def shop(people):
    return services.create_app(team=people.team, principal=people.principal("owner"), name="shop")


def tarball(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    buffer.name = "app.tar.gz"
    return buffer


def test_an_image_deployment_is_queued_and_enqueued_after_commit(
    client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/api/v1/apps/shop/deployments/", {"image": "nginx:1.27"}, format="json"
        )

    assert response.status_code == 202
    body = response.json()
    assert body["number"] == 1
    assert body["status"] == "queued"
    assert body["source"] == "image"
    assert body["image"] == "nginx:1.27"
    assert body["created_by"] == "developer"
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="deployment.create", target="shop #1").exists()


def test_numbers_count_up_per_app(client, shop, people):
    services.create_app(team=people.team, principal=people.principal("owner"), name="other")
    for name in ("shop", "shop", "other"):
        client.post(f"/api/v1/apps/{name}/deployments/", {"image": "nginx:1"}, format="json")

    assert list(shop.deployments.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert Deployment.objects.get(app__name="other").number == 1


def test_a_new_version_replaces_a_queued_one(client, shop):
    client.post("/api/v1/apps/shop/deployments/", {"image": "nginx:1"}, format="json")
    client.post("/api/v1/apps/shop/deployments/", {"image": "nginx:2"}, format="json")

    first, second = shop.deployments.order_by("number")
    assert first.status == Status.CANCELLED
    assert first.reason == "Replaced by #2."
    assert second.status == Status.QUEUED


def test_it_needs_exactly_one_source(client, shop):
    none = client.post("/api/v1/apps/shop/deployments/", {}, format="json")
    two = client.post(
        "/api/v1/apps/shop/deployments/", {"image": "a:1", "definition": "{}"}, format="json"
    )

    assert none.status_code == two.status_code == 400
    assert "exactly one" in none.json()["error"]["message"]


def test_a_bad_image_reference_is_refused(client, shop):
    response = client.post(
        "/api/v1/apps/shop/deployments/", {"image": "UPPER/Case:!!"}, format="json"
    )

    assert response.status_code == 400
    assert "not a valid image reference" in response.json()["error"]["fields"]["image"]


def test_a_pasted_captain_definition_with_an_image_deploys_that_image(client, shop):
    definition = json.dumps({"schemaVersion": 2, "imageName": "registry.example.com/team/app:3"})

    response = client.post(
        "/api/v1/apps/shop/deployments/", {"definition": definition}, format="json"
    )

    assert response.status_code == 202
    assert response.json()["image"] == "registry.example.com/team/app:3"
    assert response.json()["source"] == "definition"


def test_a_bad_captain_definition_says_what_is_wrong(client, shop):
    response = client.post(
        "/api/v1/apps/shop/deployments/",
        {"definition": json.dumps({"schemaVersion": 1, "imageName": "a"})},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["definition"] == (
        "captain-definition: schemaVersion must be 2, got 1."
    )


def test_a_tarball_upload_is_extracted_and_queued(client, shop, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    upload = tarball({"Dockerfile": b"FROM scratch\n", "src/app.txt": b"hi"})

    response = client.post("/api/v1/apps/shop/deployments/", {"source": upload}, format="multipart")

    assert response.status_code == 202, response.json()
    deployment = Deployment.objects.get()
    assert deployment.source == Source.TARBALL
    assert (tmp_path / "builds").is_dir()
    assert (tmp_path / deployment.build_dir / "Dockerfile").is_file()


def test_a_hostile_tarball_is_refused_with_its_reason(client, shop, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    upload = tarball({"../escape": b"x", "Dockerfile": b"FROM scratch\n"})

    response = client.post("/api/v1/apps/shop/deployments/", {"source": upload}, format="multipart")

    assert response.status_code == 400
    assert "'..' in a path is not allowed" in response.json()["error"]["fields"]["source"]
    assert not Deployment.objects.exists()
    assert list((tmp_path / "builds").iterdir()) == []  # nothing left behind


def test_an_upload_over_the_limit_is_refused(client, shop, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.BERTH_UPLOAD_LIMIT_MB = 1
    upload = io.BytesIO(b"\0" * (1024 * 1024 + 1))
    upload.name = "big.tar"

    response = client.post("/api/v1/apps/shop/deployments/", {"source": upload}, format="multipart")

    assert response.status_code == 400
    assert "larger than 1 MB" in response.json()["error"]["fields"]["source"]


def test_the_detail_has_the_log_and_the_list_does_not(client, shop):
    client.post("/api/v1/apps/shop/deployments/", {"image": "nginx:1"}, format="json")
    Deployment.objects.update(log="step 1\nstep 2\n")

    listed = client.get("/api/v1/apps/shop/deployments/").json()["results"][0]
    detail = client.get("/api/v1/apps/shop/deployments/1/").json()

    assert "log" not in listed
    assert detail["log"] == "step 1\nstep 2\n"
    assert client.get("/api/v1/apps/shop/deployments/9/").status_code == 404


def test_rollback_needs_a_healthy_deployment(client, shop):
    client.post("/api/v1/apps/shop/deployments/", {"image": "nginx:1"}, format="json")

    refused = client.post("/api/v1/apps/shop/deployments/1/rollback/")
    Deployment.objects.filter(number=1).update(status=Status.HEALTHY)
    accepted = client.post("/api/v1/apps/shop/deployments/1/rollback/")

    assert refused.status_code == 400
    assert "healthy" in refused.json()["error"]["message"]
    assert accepted.status_code == 202
    assert accepted.json()["number"] == 2
    assert accepted.json()["source"] == "rollback"
    assert accepted.json()["rollback_of"] == 1
    assert accepted.json()["image"] == "nginx:1"


def test_cancel_of_a_queued_deployment_is_immediate_and_of_a_finished_one_refused(client, shop):
    client.post("/api/v1/apps/shop/deployments/", {"image": "nginx:1"}, format="json")

    cancelled = client.post("/api/v1/apps/shop/deployments/1/cancel/")
    again = client.post("/api/v1/apps/shop/deployments/1/cancel/")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert "Cancelled by developer" in cancelled.json()["reason"]
    assert again.status_code == 400
    assert "already finished" in again.json()["error"]["message"]


def test_cancel_of_a_running_deployment_asks_the_worker(client, shop):
    client.post("/api/v1/apps/shop/deployments/", {"image": "nginx:1"}, format="json")
    Deployment.objects.update(status=Status.DEPLOYING)

    response = client.post("/api/v1/apps/shop/deployments/1/cancel/")

    assert response.status_code == 200
    assert response.json()["cancel_requested"] is True
    assert response.json()["status"] == "deploying"


def test_secrets_are_stored_encrypted_and_shown_masked(client, shop):
    created = client.post(
        "/api/v1/apps/shop/secrets/", {"name": "DB_PASSWORD", "value": "hunter2-x"}, format="json"
    )
    listed = client.get("/api/v1/apps/shop/secrets/")

    assert created.status_code == 201
    assert "hunter2-x" not in created.content.decode()
    assert listed.json() == [
        {
            "name": "DB_PASSWORD",
            "value": "••••••••",
            "version": 1,
            "updated_at": listed.json()[0]["updated_at"],
        }
    ]
    stored = AppSecret.objects.get()
    assert "hunter2" not in stored.ciphertext
    assert not AuditEvent.objects.filter(data__icontains="hunter2").exists()


def test_setting_a_secret_again_bumps_its_version_and_deleting_removes_it(client, shop):
    client.post("/api/v1/apps/shop/secrets/", {"name": "K", "value": "1"}, format="json")
    client.post("/api/v1/apps/shop/secrets/", {"name": "K", "value": "2"}, format="json")

    assert AppSecret.objects.get().version == 2
    assert client.delete("/api/v1/apps/shop/secrets/K/").status_code == 204
    assert client.delete("/api/v1/apps/shop/secrets/K/").status_code == 404
    assert not AppSecret.objects.exists()


def test_a_bad_secret_name_is_refused(client, shop):
    response = client.post(
        "/api/v1/apps/shop/secrets/", {"name": "../etc/passwd", "value": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_logs_of_a_never_deployed_app_say_so(client, shop):
    response = client.get("/api/v1/apps/shop/logs/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_running"


def test_logs_reject_a_bad_tail(client, shop):
    response = client.get("/api/v1/apps/shop/logs/?tail=lots")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["tail"] == "Give a whole number."
