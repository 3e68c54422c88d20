"""Portal pages of apps: list, create, overview, settings, secrets, scale, delete."""

from __future__ import annotations

import pytest

from apps import services
from apps.models import App, AppSecret, Deployment, Source, Status
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db
BASE = "/t/acme/apps/"


@pytest.fixture
def shop(people):
    return services.create_app(
        team=people.team, principal=people.principal("owner"), name="shop", env={"MODE": "prod"}
    )


def test_the_list_shows_the_teams_apps_with_their_latest_deployment(as_, shop):
    Deployment.objects.create(app=shop, number=1, source=Source.IMAGE, status=Status.ROLLED_BACK)

    page = as_("viewer").get(BASE)

    assert page.status_code == 200
    html = page.content.decode()
    assert "shop" in html
    assert "Rolled back" in html
    assert "shop.localhost" in html
    assert "Create app" not in html  # a viewer has no form


def test_the_dashboard_and_the_nav_link_to_the_apps(as_, shop):
    html = as_("developer").get("/t/acme/").content.decode()

    assert 'href="/t/acme/apps/"' in html
    assert 'href="/t/acme/apps/shop/"' in html


def test_a_developer_creates_an_app_and_lands_on_its_page(as_):
    response = as_("developer").post(BASE, {"name": "blog", "container_port": 8080, "instances": 1})

    assert response.status_code == 302
    assert response["Location"] == "/t/acme/apps/blog/"
    assert App.objects.get(name="blog").container_port == 8080
    assert AuditEvent.objects.filter(action="app.create", target="blog").exists()


def test_a_bad_name_is_shown_next_to_the_field(as_):
    response = as_("developer").post(BASE, {"name": "My_App", "container_port": 80, "instances": 1})

    assert response.status_code == 400
    assert "Use lowercase letters" in response.content.decode()
    assert not App.objects.exists()


def test_a_viewer_cannot_create_an_app(as_):
    response = as_("viewer").post(BASE, {"name": "blog", "container_port": 80, "instances": 1})

    assert response.status_code == 403
    assert not App.objects.exists()


def test_an_outsider_gets_404_on_every_app_page(as_, shop):
    client = as_("outsider")

    for path in ["", "shop/", "shop/settings/", "shop/secrets/", "shop/deployments/", "shop/logs/"]:
        assert client.get(BASE + path).status_code == 404, path
    for path in ["shop/scale/", "shop/deploy/", "shop/delete/"]:
        assert client.post(BASE + path, {}).status_code == 404, path


def test_another_teams_app_is_not_found_under_my_team(as_, people):
    services.create_app(
        team=people.other_team, principal=people.principal("outsider"), name="rival"
    )

    assert as_("owner").get(BASE + "rival/").status_code == 404


def test_the_wrong_method_gets_405(as_, shop):
    client = as_("owner")

    assert client.post(BASE + "shop/", {}).status_code == 405
    assert client.get(BASE + "shop/scale/").status_code == 405
    assert client.get(BASE + "shop/delete/").status_code == 405


def test_settings_save_env_and_placement_from_text(as_, shop):
    response = as_("developer").post(
        BASE + "shop/settings/",
        {
            "instances": 2,
            "container_port": 80,
            "health_check_path": "/healthz",
            "env": "MODE=staging\nDEBUG=1\n",
            "placement": "zone=eu-1",
        },
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.env == {"MODE": "staging", "DEBUG": "1"}
    assert shop.placement == {"zone": "eu-1"}
    assert shop.instances == 2


def test_bad_settings_are_shown_next_to_their_fields(as_, shop):
    response = as_("developer").post(
        BASE + "shop/settings/",
        {"instances": 1, "container_port": 80, "health_check_path": "healthz", "env": "no equals"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Line 1 is not NAME=value." in html
    assert "starting with /" in html


def test_a_viewer_sees_settings_but_cannot_save_them(as_, shop):
    client = as_("viewer")

    assert client.get(BASE + "shop/settings/").status_code == 200
    assert (
        client.post(BASE + "shop/settings/", {"instances": 3, "container_port": 80}).status_code
        == 403
    )


def test_secrets_are_listed_masked_and_set_by_developers(as_, shop):
    client = as_("developer")

    saved = client.post(BASE + "shop/secrets/", {"name": "API_KEY", "value": "very-secret-123"})
    page = client.get(BASE + "shop/secrets/").content.decode()

    assert saved.status_code == 302
    assert "API_KEY" in page
    assert "very-secret-123" not in page
    assert "••••••••" in page
    assert AppSecret.objects.get().name == "API_KEY"


def test_a_viewer_cannot_set_or_remove_secrets(as_, shop):
    AppSecret.objects.create(app=shop, name="K", ciphertext="x")
    client = as_("viewer")

    assert client.post(BASE + "shop/secrets/", {"name": "X", "value": "v"}).status_code == 403
    assert client.post(BASE + "shop/secrets/K/delete/").status_code == 403
    assert AppSecret.objects.count() == 1


def test_deleting_needs_an_admin_and_the_typed_name(as_, shop):
    assert as_("developer").post(BASE + "shop/delete/", {"confirm": "shop"}).status_code == 403

    wrong = as_("admin").post(BASE + "shop/delete/", {"confirm": "nope"})
    assert wrong.status_code == 302
    assert App.objects.get().deleting_at is None

    right = as_("admin").post(BASE + "shop/delete/", {"confirm": "shop"})
    assert right["Location"] == BASE
    assert App.objects.get().deleting_at is not None
    assert as_("admin").get(BASE + "shop/").status_code == 404
