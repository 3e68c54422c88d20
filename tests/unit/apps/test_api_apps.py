"""/api/v1/apps/: personas, bad input, errors in the project's format."""

from __future__ import annotations

import pytest

from apps import services
from apps.models import App, Deployment
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def shop(people):
    return services.create_app(
        team=people.team, principal=people.principal("owner"), name="shop", env={"A": "1"}
    )


def test_a_developer_creates_an_app_with_settings(people, as_user):
    response = as_user(people.developer).post(
        "/api/v1/apps/",
        {"name": "web", "instances": 2, "container_port": 8080, "env": {"MODE": "prod"}},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "web"
    assert body["team"] == "acme"
    assert body["url"] == "http://web.localhost/"
    assert body["instances"] == 2
    assert body["env"] == {"MODE": "prod"}
    assert body["latest_deployment"] is None
    event = AuditEvent.objects.get(action="app.create")
    assert event.actor_user == people.developer
    assert event.data["env"] == ["MODE"]  # names only, never values


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Shop", "lowercase"),
        ("a" * 64, "at most 63"),
        ("-shop", "start or end with a hyphen"),
        ("shop-", "start or end with a hyphen"),
        ("sh_op", "lowercase letters, digits and hyphens"),
        ("", "Give the app a name"),
    ],
)
def test_it_rejects_a_bad_name_with_a_field_error(people, as_user, name, message):
    response = as_user(people.developer).post("/api/v1/apps/", {"name": name}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in error["fields"]["name"]
    assert not App.objects.exists()


def test_it_rejects_a_duplicate_name_even_across_teams(people, as_user, shop):
    response = as_user(people.outsider).post("/api/v1/apps/", {"name": "shop"}, format="json")

    assert response.status_code == 400
    assert "already exists" in response.json()["error"]["fields"]["name"]


def test_it_rejects_out_of_range_settings(people, as_user):
    response = as_user(people.developer).post(
        "/api/v1/apps/",
        {"name": "web", "instances": 500, "container_port": 70000, "env": {"1BAD": "x"}},
        format="json",
    )

    fields = response.json()["error"]["fields"]
    assert response.status_code == 400
    assert set(fields) == {"instances", "container_port", "env"}


def test_a_viewer_cannot_create_an_app(people, as_user):
    response = as_user(people.viewer).post("/api/v1/apps/", {"name": "web"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_read_token_cannot_create_an_app(people, token_client):
    response = token_client(people.team, "read").post("/api/v1/apps/", {"name": "w"}, format="json")

    assert response.status_code == 403


def test_a_deploy_token_creates_in_its_own_team_only(people, token_client):
    client = token_client(people.team, "deploy")

    created = client.post("/api/v1/apps/", {"name": "ci-app"}, format="json")
    other = client.post("/api/v1/apps/", {"name": "x", "team": "globex"}, format="json")

    assert created.status_code == 201
    assert created.json()["team"] == "acme"
    assert other.status_code == 400
    assert "acme" in other.json()["error"]["fields"]["team"]


def test_the_list_shows_only_the_callers_teams_apps(people, as_user, shop):
    services.create_app(
        team=people.other_team, principal=people.principal("outsider"), name="rival"
    )

    mine = as_user(people.viewer).get("/api/v1/apps/").json()
    theirs = as_user(people.outsider).get("/api/v1/apps/").json()

    assert [a["name"] for a in mine["results"]] == ["shop"]
    assert [a["name"] for a in theirs["results"]] == ["rival"]


def test_an_outsider_gets_404_for_an_app_of_another_team(people, as_user, shop):
    client = as_user(people.outsider)

    for method, path in [
        ("get", "/api/v1/apps/shop/"),
        ("patch", "/api/v1/apps/shop/"),
        ("delete", "/api/v1/apps/shop/"),
        ("get", "/api/v1/apps/shop/deployments/"),
        ("post", "/api/v1/apps/shop/deployments/"),
        ("get", "/api/v1/apps/shop/secrets/"),
        ("get", "/api/v1/apps/shop/logs/"),
    ]:
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 404, (method, path)
        assert response.json() == {
            "error": {"code": "not_found", "message": "Not found.", "fields": {}}
        }


def test_a_viewer_reads_but_gets_403_on_writes(people, as_user, shop):
    client = as_user(people.viewer)

    assert client.get("/api/v1/apps/shop/").status_code == 200
    assert client.patch("/api/v1/apps/shop/", {"instances": 2}, format="json").status_code == 403
    assert client.delete("/api/v1/apps/shop/").status_code == 403
    assert (
        client.post("/api/v1/apps/shop/deployments/", {"image": "x:1"}, format="json").status_code
        == 403
    )
    assert client.post("/api/v1/apps/shop/secrets/", {"name": "a", "value": "b"}).status_code == 403
    assert not Deployment.objects.exists()


def test_a_developer_cannot_delete_an_app_but_an_admin_can(
    people, as_user, shop, django_capture_on_commit_callbacks
):
    assert as_user(people.developer).delete("/api/v1/apps/shop/").status_code == 403

    with django_capture_on_commit_callbacks() as callbacks:
        response = as_user(people.admin).delete("/api/v1/apps/shop/")

    assert response.status_code == 202
    assert len(callbacks) == 1  # the removal task, after commit
    assert App.objects.get(name="shop").deleting_at is not None
    # A deleting app is gone from the API at once.
    assert as_user(people.admin).get("/api/v1/apps/shop/").status_code == 404
    assert AuditEvent.objects.filter(action="app.delete", actor_user=people.admin).exists()


def test_the_wrong_method_gets_405(people, as_user, shop):
    client = as_user(people.owner)

    assert client.put("/api/v1/apps/shop/", {}, format="json").status_code == 405
    assert client.delete("/api/v1/apps/").status_code == 405
    assert client.post("/api/v1/apps/shop/logs/").status_code == 405


def test_patch_changes_settings_and_refuses_unknown_ones(people, as_user, shop):
    client = as_user(people.developer)

    ok = client.patch("/api/v1/apps/shop/", {"instances": 3, "env": {"B": "2"}}, format="json")
    bad = client.patch("/api/v1/apps/shop/", {"name": "renamed", "privileged": True}, format="json")

    assert ok.status_code == 200
    assert ok.json()["instances"] == 3
    assert ok.json()["env"] == {"B": "2"}
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"name", "privileged"}
    # Never deployed: a settings change is just saved, no deployment.
    assert not Deployment.objects.exists()


def test_a_reservation_above_its_limit_is_refused(people, as_user, shop):
    response = as_user(people.developer).patch(
        "/api/v1/apps/shop/", {"memory_limit_mb": 64, "memory_reservation_mb": 128}, format="json"
    )

    assert response.status_code == 400
    assert "exceed" in response.json()["error"]["fields"]["memory_reservation_mb"]
