"""An app's life in a real Chromium: create it, deploy an image, watch the log live, open it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.models import App, Deployment, Status
from tests.support.apps import deploy_worker, fast_deploys
from tests.support.personas import PASSWORD

__all__ = ["deploy_worker", "fast_deploys"]

CHATTY = (
    'CMD ["sh", "-c", "echo hello-log from the portal; '
    '(while true; do echo tick; sleep 1; done) & mkdir -p /tmp; exec httpd -f -p 80 -h /www"]'
)
pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_login").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button").last.click()


def test_create_deploy_watch_and_open_an_app(
    live_server: Any,
    page: Any,
    screenshot: Any,
    people: Any,
    images: Any,
    gateway: Any,
    deploy_worker: Any,
) -> None:
    url = live_server.url
    sign_in(page, url, "developer")
    expect(page).to_have_url(f"{url}/t/acme/")

    # From the dashboard to the apps page, and a new app.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Apps").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("harbour")
    screenshot("new-app")
    page.get_by_role("button", name="Create app").click()
    expect(page).to_have_url(f"{url}/t/acme/apps/harbour/")
    expect(page.get_by_text("Nothing runs yet")).to_be_visible()

    # Deploy from a pasted captain-definition; the deployment page follows the build live.
    page.get_by_label("captain-definition").fill(
        json.dumps({"schemaVersion": 2, "dockerfileLines": [f"FROM {images.web}", CHATTY]})
    )
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page).to_have_url(f"{url}/t/acme/apps/harbour/deployments/1/")
    log = page.locator("#log")
    expect(log).to_contain_text("Step 1/", timeout=30_000)
    expect(log).to_contain_text("Creating service", timeout=30_000)
    expect(page.locator("#deployment-state")).to_contain_text("Healthy", timeout=60_000)
    expect(log).to_contain_text("running and healthy")
    screenshot("deployment-healthy")
    deployment = Deployment.objects.get(app__name="harbour")
    assert deployment.status == Status.HEALTHY
    assert deployment.built

    # The app's address opens the running app through the gateway.
    page.goto(f"{url}/t/acme/apps/harbour/")
    link = page.get_by_role("link", name="http://harbour.localhost")
    expect(link).to_have_attribute("href", f"http://harbour.localhost:{gateway.http_port}/")
    gateway.wait_for("harbour.localhost", "/")
    with page.expect_popup() as opened:
        link.click()
    app_page = opened.value
    expect(app_page.get_by_role("heading", name="berth test app")).to_be_visible()
    app_page.screenshot(path=str(screenshot("app-overview").parent / "opened-app.png"))

    # Its logs page follows the app's output: new lines appear without a reload.
    page.get_by_role("link", name="Logs").click()
    logs = page.locator("#app-logs")
    expect(logs).to_contain_text("hello-log from the portal")
    first = logs.inner_text().count("tick")
    expect(logs).not_to_contain_text("(no output yet)")
    page.wait_for_function(
        "n => document.getElementById('app-logs').innerText.split('tick').length - 1 > n",
        arg=first,
        timeout=15_000,
    )
    screenshot("logs")
    assert App.objects.get(name="harbour").current_image == deployment.image
