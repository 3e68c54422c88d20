"""/api/v1/stacks/: personas, refusals that change nothing, uploads, diffs, variables kept secret."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from apps.compose import services
from apps.compose.models import ServiceState, Stack, StackService
from apps.models import App
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db

COMPOSE = """
services:
  web:
    image: example/web:1
    x-berth: {http_port: 80}
    environment: {TOKEN: "${TOKEN}"}
    depends_on: {api: {condition: service_healthy}}
  api:
    image: example/api:1
    secrets: [pw]
secrets:
  pw: {environment: DB_PASSWORD}
"""
VARIABLES = {"TOKEN": "tok-visible-in-env", "DB_PASSWORD": "hunter2-secret"}


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def shop(people):
    return services.apply_stack(
        team=people.team,
        principal=people.principal("developer"),
        name="shop",
        compose=COMPOSE,
        variables=VARIABLES,
    )


def test_a_developer_creates_a_stack_and_its_apps(
    people, as_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = as_user(people.developer).post(
            "/api/v1/stacks/",
            {"name": "shop", "compose": COMPOSE, "variables": VARIABLES},
            format="json",
        )

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "deploying"
    assert [s["service"] for s in body["services"]] == ["api", "web"]
    assert {s["state"] for s in body["services"]} == {"waiting"}
    assert body["services"][1]["url"] == "http://shop-web.localhost/"
    assert body["services"][0]["url"] is None  # internal
    assert body["variables"] == ["DB_PASSWORD", "TOKEN"]  # names, never values
    assert "hunter2-secret" not in response.content.decode()
    assert set(App.objects.values_list("name", flat=True)) == {"shop-api", "shop-web"}
    assert len(queued) == 1  # the rollout starts after commit
    event = AuditEvent.objects.get(action="stack.create")
    assert event.data["services"] == ["api", "web"]
    assert "hunter2" not in str(AuditEvent.objects.values_list("data", flat=True))
    stack = Stack.objects.get(name="shop")
    assert "hunter2" not in stack.variables_encrypted  # encrypted at rest


def test_a_refused_file_changes_nothing(people, as_user):
    response = as_user(people.developer).post(
        "/api/v1/stacks/",
        {
            "name": "shop",
            "compose": COMPOSE.replace(
                "image: example/api:1", "image: example/api:1\n    privileged: true"
            ),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "services.api.privileged": "Privileged mode (True) gives access to the host and needs a trusted team."
    }
    assert not Stack.objects.exists()
    assert not App.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="stack.").exists()


def test_a_redeploy_that_is_refused_keeps_the_running_revision(people, shop, as_user):
    response = as_user(people.developer).put(
        "/api/v1/stacks/shop/",
        {"compose": "services:\n  web:\n    image: ${X:?need X}\n"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "services.web.image": "Variable X is required: need X"
    }
    shop.refresh_from_db()
    assert shop.revision == 1
    assert shop.compose == COMPOSE


def test_outsiders_get_404_and_viewers_cannot_write(people, shop, as_user):
    assert as_user(people.outsider).get("/api/v1/stacks/shop/").status_code == 404
    assert as_user(people.outsider).get("/api/v1/stacks/").json()["results"] == []
    viewer = as_user(people.viewer)
    assert viewer.get("/api/v1/stacks/shop/").status_code == 200
    assert (
        viewer.put("/api/v1/stacks/shop/", {"compose": COMPOSE}, format="json").status_code == 403
    )
    assert viewer.delete("/api/v1/stacks/shop/").status_code == 403


def test_pruning_and_deleting_need_the_admin_level(people, shop, as_user):
    developer = as_user(people.developer)
    assert (
        developer.put(
            "/api/v1/stacks/shop/?prune=1", {"compose": COMPOSE}, format="json"
        ).status_code
        == 403
    )
    assert developer.delete("/api/v1/stacks/shop/").status_code == 403

    response = as_user(people.admin).delete("/api/v1/stacks/shop/")

    assert response.status_code == 202
    assert App.objects.filter(deleting_at__isnull=False).count() == 2
    assert as_user(people.admin).get("/api/v1/stacks/shop/").status_code == 404


def test_a_redeploy_marks_only_changed_services(people, shop, as_user):
    # As if both services had rolled out.
    for row in StackService.objects.filter(stack=shop):
        row.deployed_hash = row.spec_hash
        row.state = ServiceState.HEALTHY
        row.save()

    response = as_user(people.developer).put(
        "/api/v1/stacks/shop/",
        {"compose": COMPOSE.replace("example/web:1", "example/web:2")},
        format="json",
    )

    assert response.status_code == 202
    states = {s["service"]: s["state"] for s in response.json()["services"]}
    assert states == {"api": "healthy", "web": "waiting"}
    assert AuditEvent.objects.get(action="stack.update").data["changed"] == ["web"]
    # Variables were kept (not given again): api's secret still resolves.
    assert response.json()["variables"] == ["DB_PASSWORD", "TOKEN"]


def test_a_dropped_service_stays_until_pruned(people, shop, as_user):
    only_api = "services:\n  api:\n    image: example/api:1\n"

    response = as_user(people.developer).put(
        "/api/v1/stacks/shop/", {"compose": only_api}, format="json"
    )

    web = {s["service"]: s for s in response.json()["services"]}["web"]
    assert (web["state"], web["removed"]) == ("removed", True)
    response = as_user(people.admin).put(
        "/api/v1/stacks/shop/?prune=1", {"compose": only_api}, format="json"
    )
    assert response.status_code == 202
    assert App.objects.get(name="shop-web").deleting_at is not None


def test_an_app_of_the_same_name_outside_the_stack_is_not_taken_over(people, as_user):
    from apps import services as app_services

    app_services.create_app(
        team=people.other_team, principal=people.principal("outsider"), name="shop-web"
    )

    response = as_user(people.developer).post(
        "/api/v1/stacks/",
        {"name": "shop", "compose": COMPOSE, "variables": VARIABLES},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "services.web": "An app named 'shop-web' already exists outside this stack."
    }


def _tarball(files: dict[str, str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    buffer.name = "stack.tar.gz"
    return buffer


def test_a_tarball_brings_the_compose_file_env_and_build_context(
    people, as_user, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    upload = _tarball(
        {
            "app/compose.yaml": "services:\n  api:\n    build: ./api\n    environment: {MODE: '${MODE}'}\n",
            "app/.env": "MODE=from-dotenv\n",
            "app/api/Dockerfile": "FROM scratch\n",
        }
    )

    response = as_user(people.developer).post(
        "/api/v1/stacks/", {"name": "built", "source": upload}, format="multipart"
    )

    assert response.status_code == 202, response.json()
    assert App.objects.get(name="built-api").env == {"MODE": "from-dotenv"}
    row = StackService.objects.get(service="api")
    assert (Path(row.build_dir) / "Dockerfile").read_text() == "FROM scratch\n"
    assert list((tmp_path / "builds").iterdir()) == [
        Path(row.build_dir)
    ]  # the upload itself is gone


def test_a_hostile_tarball_is_refused(people, as_user):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    buffer.seek(0)

    response = as_user(people.developer).post(
        "/api/v1/stacks/", {"name": "bad", "source": buffer}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "source": "'../escape': '..' in a path is not allowed."
    }
    assert not Stack.objects.exists()
