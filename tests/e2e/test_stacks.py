"""A compose stack in a real Chromium: a refused file shows its problems, a good one deploys
and its services turn healthy on the page without a reload."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from apps.compose.models import Stack, StackStatus
from tests.e2e.test_apps import sign_in
from tests.support.apps import deploy_worker, fast_deploys

__all__ = ["deploy_worker", "fast_deploys"]
pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def compose(image: str) -> str:
    return f"""services:
  web:
    image: {image}
    environment:
      MESSAGE: ${{GREETING:-hello}}
    x-berth: {{http_port: 80}}
    depends_on:
      cache: {{condition: service_healthy}}
  cache:
    image: {image}
    healthcheck:
      test: ["CMD-SHELL", "true"]
"""


def test_paste_a_stack_see_refusals_then_watch_it_deploy(
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
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stacks").click()
    expect(page.get_by_role("heading", name="Stacks", exact=True)).to_be_visible()

    page.get_by_label("Name").fill("demo")
    page.get_by_label("Compose file").fill(
        compose(images.web).replace("  cache:\n", "  cache:\n    privileged: true\n")
    )
    page.get_by_role("button", name="Deploy stack").click()
    errors = page.locator("[data-test=compose-errors]")
    expect(errors).to_contain_text(
        "services.cache.privileged: Privileged mode (True) gives access to the host"
    )
    screenshot("refused")
    assert not Stack.objects.exists()

    page.get_by_label("Compose file").fill(compose(images.web))
    page.get_by_label("Variables").fill("GREETING=from the portal\n")
    page.get_by_role("button", name="Deploy stack").click()
    expect(page).to_have_url(f"{url}/t/acme/stacks/demo/")
    expect(page.locator("[data-test=stack-status]")).to_have_text("Healthy", timeout=90_000)
    expect(page.locator('tr[data-service="web"]')).to_contain_text("Healthy")
    expect(page.locator('tr[data-service="cache"]')).to_contain_text("internal")
    screenshot("healthy")
    assert Stack.objects.get(name="demo").status == StackStatus.HEALTHY
    reply = gateway.wait_for("demo-web.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "from the portal"

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("phone")
