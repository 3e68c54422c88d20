"""A custom domain in a real Chromium: added on the Domains tab, checked, certified, served."""

from __future__ import annotations

import ssl
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.integration.domains.conftest import https_get, pebble, routed_app
from tests.support.personas import PASSWORD

__all__ = ["pebble", "routed_app"]

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_domain_is_added_checked_and_served_over_https(
    live_server: Any,
    page: Any,
    screenshot: Any,
    routed_app: Any,
    gateway: Any,
    pebble: Any,
    celery_worker: Any,
    settings: Any,
) -> None:
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"
    url = live_server.url
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_login").fill("developer")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form").get_by_role("button").last.click()
    page.goto(f"{url}/t/acme/apps/shop/")

    page.get_by_role("navigation", name="App").get_by_role("link", name="Domains").click()
    expect(page.get_by_text("No custom domains yet.")).to_be_visible()
    page.get_by_role("textbox", name="Domain").fill("shop;evil.berth.test")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text("must not contain a semicolon")).to_be_visible()
    screenshot("refused")

    page.get_by_role("textbox", name="Domain").fill("portal.berth.test")
    page.get_by_label("Redirect HTTP to HTTPS").check()
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text("Added portal.berth.test")).to_be_visible()

    row = page.locator("tr[data-domain='portal.berth.test']")
    for _ in range(60):
        if "Valid until" in row.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(row).to_contain_text("Verified")
    expect(row).to_contain_text("Valid until")
    screenshot("certified")

    # The page says "Valid" once the certificate is stored; the gateway picks it up
    # when the route is applied right after, so give it the moment a user would.
    deadline = time.monotonic() + 20
    while True:
        try:
            reply = https_get(
                gateway.https_port, "portal.berth.test", "/cgi-bin/info", cadata=pebble.roots_pem()
            )
            break
        except ssl.SSLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    assert reply.status == 200
    assert "hello from shop" in reply.body
    assert gateway.get("portal.berth.test", "/").status == 301

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot("phone")
