"""Portal pages of volumes and an app's Volumes tab, by persona."""

from __future__ import annotations

import pytest

from apps import services
from apps.volumes import services as volume_services
from apps.volumes.models import Mount, Volume

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_teams_volumes_and_who_uses_them(as_, people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    html = as_("viewer").get("/t/acme/volumes/").content.decode()

    assert 'data-volume="data"' in html
    assert 'href="/t/acme/apps/shop/volumes/"' in html
    assert "Create volume" not in html  # a viewer has no form
    assert 'href="/t/acme/volumes/"' in html  # the nav link


def test_a_developer_creates_a_volume_from_the_form(as_):
    response = as_("developer").post(
        "/t/acme/volumes/",
        {
            "name": "cache",
            "driver": "local",
            "driver_options": "type=tmpfs\ndevice=tmpfs\no=size=1m",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/t/acme/volumes/cache/"
    assert Volume.objects.get(name="cache").driver_options == {
        "type": "tmpfs",
        "device": "tmpfs",
        "o": "size=1m",
    }


def test_a_refused_option_is_shown_next_to_its_field(as_):
    response = as_("developer").post(
        "/t/acme/volumes/",
        {"name": "etc", "driver": "local", "driver_options": "type=none\no=bind\ndevice=/etc"},
    )

    assert response.status_code == 400
    assert "need a team an operator trusts" in response.content.decode()


def test_viewers_cannot_create_and_outsiders_see_nothing(as_, data):
    assert as_("viewer").post("/t/acme/volumes/", {"name": "x"}).status_code == 403
    assert as_("outsider").get("/t/acme/volumes/").status_code == 404
    assert as_("outsider").get("/t/acme/volumes/data/").status_code == 404
    assert as_("viewer").get("/t/acme/volumes/data/backup/").status_code == 403


def test_the_detail_page_refuses_deletion_while_in_use(as_, people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    html = as_("admin").get("/t/acme/volumes/data/").content.decode()
    response = as_("admin").post("/t/acme/volumes/data/delete/", {"confirm": "data"}, follow=True)

    assert "In use by shop" in html
    assert "Delete volume" not in html
    assert "in use by shop" in response.content.decode()
    assert Volume.objects.get(name="data").deleting_at is None


def test_an_admin_deletes_a_free_volume_after_typing_its_name(as_, data):
    wrong = as_("admin").post("/t/acme/volumes/data/delete/", {"confirm": "nope"})
    right = as_("admin").post("/t/acme/volumes/data/delete/", {"confirm": "data"})

    assert wrong["Location"] == "/t/acme/volumes/data/"
    assert right["Location"] == "/t/acme/volumes/"
    assert Volume.objects.get(name="data").deleting_at is not None
    assert as_("developer").post(
        "/t/acme/volumes/data/delete/", {"confirm": "data"}
    ).status_code in (403, 404)


def test_the_app_tab_attaches_and_says_updates_stop_first(as_, running, data):
    response = as_("developer").post(
        "/t/acme/apps/shop/volumes/", {"volume": "data", "path": "/data"}, follow=True
    )

    html = response.content.decode()
    assert "Rolling out as deployment #2" in html
    assert 'data-mount="/data"' in html
    assert 'data-test="stop-first"' in html
    assert "stops the running task before it starts the new one" in html
    assert Mount.objects.get().volume == data


def test_a_read_only_mount_or_shared_storage_says_nothing_about_stop_first(as_, people, running):
    volume_services.create_volume(
        team=people.team,
        principal=people.principal("developer"),
        name="nfs",
        driver_options={"type": "nfs", "o": "addr=10.0.0.5", "device": ":/e"},
    )
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="nfs", path="/nfs"
    )

    html = as_("viewer").get("/t/acme/apps/shop/volumes/").content.decode()

    assert 'data-mount="/nfs"' in html
    assert 'data-test="stop-first"' not in html
    assert "Detach" not in html  # a viewer has no buttons


def test_an_attach_error_is_shown_next_to_its_field(as_, running, data):
    response = as_("developer").post(
        "/t/acme/apps/shop/volumes/", {"volume": "data", "path": "/proc"}
    )

    assert response.status_code == 400
    assert "belongs to the container runtime" in response.content.decode()


def test_only_a_trusted_team_sees_the_host_path_field(as_, people, running):
    assert (
        'name="host_path"'
        not in as_("developer").get("/t/acme/apps/shop/volumes/").content.decode()
    )
    people.team.trusted = True
    people.team.save()
    assert 'name="host_path"' in as_("developer").get("/t/acme/apps/shop/volumes/").content.decode()


def test_detach_from_the_tab(as_, people, running, data):
    mount, _ = volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    viewer = as_("viewer").post(f"/t/acme/apps/shop/volumes/{mount.pk}/detach/")
    developer = as_("developer").post(f"/t/acme/apps/shop/volumes/{mount.pk}/detach/", follow=True)

    assert viewer.status_code == 403
    assert "its data stays in the volume" in developer.content.decode()
    assert not Mount.objects.exists()


def test_deleting_an_app_offers_to_delete_its_volumes(as_, people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )
    settings_page = as_("admin").get("/t/acme/apps/shop/settings/").content.decode()

    response = as_("admin").post(
        "/t/acme/apps/shop/delete/", {"confirm": "shop", "delete_volumes": "on"}, follow=True
    )

    assert 'data-test="delete-volumes"' in settings_page
    assert "Deleting the volumes data." in response.content.decode()
    assert Volume.objects.get(name="data").deleting_at is not None


def test_an_app_without_volumes_offers_no_such_checkbox(as_, people):
    services.create_app(team=people.team, principal=people.principal("owner"), name="bare")

    html = as_("admin").get("/t/acme/apps/bare/settings/").content.decode()

    assert 'data-test="delete-volumes"' not in html
    assert 'href="/t/acme/apps/bare/volumes/"' in html  # the tab


def test_the_app_overview_lists_its_volumes(as_, people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    html = as_("viewer").get("/t/acme/apps/shop/").content.decode()

    assert 'data-test="app-volumes"' in html
    assert "data at /data" in html
