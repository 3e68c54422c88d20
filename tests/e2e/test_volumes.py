"""A volume in a real Chromium: created on the Volumes page, attached to a running app
(the portal says updates now stop first), its data downloaded as a backup."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from apps import deploy, services
from apps.models import Status
from tests.e2e.test_apps import sign_in
from tests.integration.volumes.conftest import data_of, files_of, healthy, latest, write
from tests.support.apps import deploy_worker, fast_deploys

__all__ = ["deploy_worker", "fast_deploys"]

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_create_attach_and_back_up_a_volume(
    live_server: Any,
    page: Any,
    screenshot: Any,
    people: Any,
    images: Any,
    gateway: Any,
    deploy_worker: Any,
) -> None:
    dev = people.principal("developer")
    app = services.create_app(team=people.team, principal=dev, name="notes")
    healthy(deploy.deploy_image(app=app, principal=dev, image=images.web))
    url = live_server.url
    sign_in(page, url, "developer")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Volumes").click()
    expect(page.get_by_text("No volumes yet.")).to_be_visible()
    page.get_by_label("Name").fill("Notes Data")
    page.get_by_role("button", name="Create volume").click()
    expect(page.get_by_text("Use lowercase letters")).to_be_visible()
    page.get_by_label("Name").fill("notes-data")
    page.get_by_role("button", name="Create volume").click()
    expect(page).to_have_url(f"{url}/t/acme/volumes/notes-data/")
    expect(page.get_by_text("No app mounts it.")).to_be_visible()
    screenshot("volume-created")

    page.goto(f"{url}/t/acme/apps/notes/")
    page.get_by_role("navigation", name="App").get_by_role("link", name="Volumes").click()
    page.get_by_label("Volume", exact=True).select_option("notes-data")
    page.get_by_label("Path in the app").fill("/data")
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("Rolling out as deployment #2")).to_be_visible()
    expect(page.locator("[data-test=stop-first]")).to_contain_text("Updates stop first")
    expect(page.locator("tr[data-mount='/data']")).to_contain_text("notes-data")
    screenshot("attached")
    assert healthy(latest(app)).status == Status.HEALTHY
    write(gateway, "notes", "written-in-e2e")
    assert data_of(gateway, "notes", "written-in-e2e") == "written-in-e2e"

    page.goto(f"{url}/t/acme/volumes/notes-data/")
    expect(page.locator("[data-test=volume-users]")).to_contain_text("notes at /data")
    expect(page.locator("[data-test=volume-node]")).to_contain_text("where it was first used")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download backup").click()
    saved = download.value
    assert saved.suggested_filename.startswith("notes-data-")
    path = saved.path()
    assert path is not None
    with open(path, "rb") as handle:
        assert files_of(handle.read()) == {"value": b"written-in-e2e"}
    screenshot("volume-in-use")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("volume-in-use-phone")
