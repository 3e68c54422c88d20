"""/api/v1/volumes/ and /api/v1/apps/{name}/mounts/: personas, bad input, errors in the project's format."""

from __future__ import annotations

import pytest

from apps.volumes import services as volume_services
from apps.volumes.models import Mount, Volume
from paas.models import AuditEvent, Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


def test_a_developer_creates_a_volume(people, as_user):
    response = as_user(people.developer).post(
        "/api/v1/volumes/",
        {
            "name": "uploads",
            "driver_options": {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"},
            "labels": {"tier": "cache"},
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "uploads"
    assert body["team"] == "acme"
    assert body["driver"] == "local"
    assert body["driver_options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    assert body["on_node"] is False  # memory: nothing to pin
    assert body["mounts"] == []
    assert body["state"] == "ready"


def test_bad_options_are_refused_next_to_the_field(people, as_user):
    response = as_user(people.developer).post(
        "/api/v1/volumes/",
        {"name": "etc", "driver_options": {"type": "none", "o": "bind", "device": "/etc"}},
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "trusts" in error["fields"]["driver_options"]
    assert not Volume.objects.exists()


def test_a_read_token_cannot_create(people, token_client):
    response = token_client(people.team, "read").post(
        "/api/v1/volumes/", {"name": "x"}, format="json"
    )

    assert response.status_code == 403


def test_a_token_creates_in_its_own_team(people, token_client):
    response = token_client(people.team, "deploy").post(
        "/api/v1/volumes/", {"name": "x"}, format="json"
    )

    assert response.status_code == 201
    assert Volume.objects.get(name="x").team == people.team


def test_the_list_shows_only_the_principals_teams(people, as_user, data):
    volume_services.create_volume(
        team=people.other_team, principal=people.principal("outsider"), name="secret-stuff"
    )

    names = [v["name"] for v in as_user(people.viewer).get("/api/v1/volumes/").json()["results"]]

    assert names == ["data"]


def test_an_outsider_gets_404_and_a_viewer_403_on_delete(people, as_user, data):
    assert as_user(people.outsider).get("/api/v1/volumes/data/").status_code == 404
    assert as_user(people.outsider).delete("/api/v1/volumes/data/").status_code == 404
    assert as_user(people.viewer).get("/api/v1/volumes/data/").status_code == 200
    assert as_user(people.viewer).delete("/api/v1/volumes/data/").status_code == 403
    assert as_user(people.developer).delete("/api/v1/volumes/data/").status_code == 403


def test_a_viewer_cannot_download_a_backup(people, as_user, data):
    assert as_user(people.viewer).get("/api/v1/volumes/data/backup/").status_code == 403
    assert as_user(people.outsider).get("/api/v1/volumes/data/backup/").status_code == 404


def test_deleting_a_volume_in_use_is_a_conflict_naming_the_apps(people, as_user, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    response = as_user(people.admin).delete("/api/v1/volumes/data/")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "volume_in_use"
    assert "in use by shop" in error["message"]


def test_an_admin_deletes_a_free_volume(people, as_user, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = as_user(people.admin).delete("/api/v1/volumes/data/")

    assert response.status_code == 202
    assert response.json() == {"name": "data", "deleting": True}
    assert len(callbacks) == 1
    assert as_user(people.admin).get("/api/v1/volumes/data/").status_code == 404


def test_a_developer_attaches_a_volume_to_a_running_app(people, as_user, running, data):
    response = as_user(people.developer).post(
        "/api/v1/apps/shop/mounts/", {"volume": "data", "path": "/data"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["volume"] == "data"
    assert body["path"] == "/data"
    assert body["read_only"] is False
    assert body["deployment"] == 2
    listed = as_user(people.viewer).get("/api/v1/apps/shop/mounts/").json()
    assert [m["path"] for m in listed] == ["/data"]
    detail = as_user(people.viewer).get("/api/v1/volumes/data/").json()
    assert detail["mounts"] == [{"app": "shop", "path": "/data", "read_only": False}]


def test_attach_refusals_are_errors_of_their_field(people, as_user, running, data):
    client = as_user(people.developer)

    missing = client.post("/api/v1/apps/shop/mounts/", {"path": "/x"}, format="json")
    bad_path = client.post(
        "/api/v1/apps/shop/mounts/", {"volume": "data", "path": "/proc/x"}, format="json"
    )
    host = client.post(
        "/api/v1/apps/shop/mounts/", {"host_path": "/etc", "path": "/etc2"}, format="json"
    )

    assert missing.status_code == 400
    assert "volume" in missing.json()["error"]["fields"]
    assert "container runtime" in bad_path.json()["error"]["fields"]["path"]
    assert "trusts" in host.json()["error"]["fields"]["host_path"]
    assert not Mount.objects.exists()


def test_mounts_are_scoped_like_their_app(people, as_user, running, data):
    assert as_user(people.outsider).get("/api/v1/apps/shop/mounts/").status_code == 404
    viewer = as_user(people.viewer).post(
        "/api/v1/apps/shop/mounts/", {"volume": "data", "path": "/data"}, format="json"
    )
    assert viewer.status_code == 403


def test_a_developer_detaches(people, as_user, running, data):
    mount, _ = volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    response = as_user(people.developer).delete(f"/api/v1/apps/shop/mounts/{mount.pk}/")

    assert response.status_code == 200
    assert response.json() == {"detached": mount.pk, "deployment": 3}
    assert as_user(people.developer).delete("/api/v1/apps/shop/mounts/999/").status_code == 404


def test_deleting_an_app_can_take_its_volumes(people, as_user, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    response = as_user(people.admin).delete("/api/v1/apps/shop/?delete_volumes=1")

    assert response.status_code == 202
    assert response.json()["volumes_deleted"] == ["data"]
    assert AuditEvent.objects.filter(action="volume.delete", data__app="shop").exists()


def test_restore_needs_an_archive(people, as_user, data):
    response = as_user(people.developer).post("/api/v1/volumes/data/restore/", {})

    assert response.status_code == 400
    assert "archive" in response.json()["error"]["fields"]


def test_a_name_two_of_your_teams_use_needs_the_team(people, as_user, data):
    Membership.objects.create(team=people.other_team, user=people.developer, role=Role.DEVELOPER)
    volume_services.create_volume(
        team=people.other_team, principal=people.principal("outsider"), name="data"
    )
    client = as_user(people.developer)

    ambiguous = client.get("/api/v1/volumes/data/")
    chosen = client.get("/api/v1/volumes/data/?team=globex")

    assert ambiguous.status_code == 400
    assert "?team=" in ambiguous.json()["error"]["fields"]["team"]
    assert chosen.status_code == 200
    assert chosen.json()["team"] == "globex"
