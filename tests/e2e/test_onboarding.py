"""A fresh Berth in a real Chromium: the operator signs up, makes a team, invites a
developer who signs up from the link in a second browser, and makes an API token."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from paas.models import ApiToken, AuditEvent, Membership, Role

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

PASSWORD = "tide-table-Quay-4821"
# htmx fires htmx:load on content it swapped in once it has wired it up.
LOADED = """window.berthLoaded = false;
document.body.addEventListener("htmx:load", () => { window.berthLoaded = true; }, {once: true});"""


def sign_up(page: Any, username: str) -> None:
    page.locator("#id_email").fill(f"{username}@example.test")
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)


def test_onboarding(
    live_server: Any, page: Any, browser: Any, screenshot: Any, transactional_db: None
) -> None:
    url = live_server.url

    # A fresh install: sign-in says no account exists and leads to the operator sign-up.
    page.goto(f"{url}/")
    expect(page.get_by_text("No account exists yet")).to_be_visible()
    screenshot("sign-in-fresh-install")
    page.get_by_role("link", name="Create the first account").click()
    expect(page.get_by_role("heading", name="Create the operator account")).to_be_visible()
    expect(page.get_by_text("becomes the operator")).to_be_visible()
    sign_up(page, "harbourmaster")
    screenshot("sign-up-operator")
    page.get_by_role("button", name="Create operator account").click()

    expect(page.get_by_text("You are not in a team yet")).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    screenshot("welcome-no-team")
    operator = User.objects.get(username="harbourmaster")
    assert operator.is_superuser
    assert operator.is_staff

    # The operator makes a team and lands on its dashboard.
    page.get_by_label("Name", exact=True).fill("Blue Harbour")
    page.get_by_role("button", name="Create team").click()
    expect(page).to_have_url(f"{url}/t/blue-harbour/")
    expect(page.get_by_role("heading", name="Blue Harbour", exact=True)).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object"  # served from our static files
    screenshot("team-dashboard")

    # An invitation link for a developer, shown once.
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("Role").select_option("developer")
    page.get_by_role("button", name="Create invitation link").click()
    link = page.locator("#invite-link").input_value()
    assert link.startswith(f"{url}/invite/")
    expect(page.get_by_text("only time the link is shown")).to_be_visible()
    screenshot("invitation-created")

    # Someone else, in another browser (phone-sized), opens the link and signs up.
    guest_context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        guest = guest_context.new_page()
        guest.set_default_timeout(15_000)
        guest.goto(link)
        expect(guest.get_by_role("heading", name="Join Blue Harbour")).to_be_visible()
        screenshot("invite-opened-by-visitor", guest)
        guest.get_by_role("link", name="Create an account").click()
        expect(guest.get_by_text("You are joining")).to_be_visible()
        sign_up(guest, "deckhand")
        screenshot("sign-up-invited", guest)
        guest.get_by_role("button", name="Create account").click()
        expect(guest).to_have_url(f"{url}/t/blue-harbour/")
        expect(guest.get_by_text("you joined as developer")).to_be_visible()
        screenshot("invited-member-dashboard", guest)
    finally:
        guest_context.close()
    deckhand = User.objects.get(username="deckhand")
    assert not deckhand.is_superuser
    assert Membership.objects.get(user=deckhand, team__slug="blue-harbour").role == Role.DEVELOPER

    # The owner sees the new member and changes their role inline (htmx), then back.
    page.goto(f"{url}/t/blue-harbour/members/")
    row = page.locator("tr", has_text="deckhand")
    expect(row).to_be_visible()
    for role in (Role.VIEWER, Role.DEVELOPER):
        page.evaluate(LOADED)
        row.get_by_role("combobox").select_option(role.value)
        # The new row is wired up before the next change (no handler, no request).
        page.wait_for_function("window.berthLoaded === true", timeout=15_000)
        expect(row.get_by_text("Saved")).to_be_visible()
        expect(row.get_by_role("combobox")).to_have_value(role.value)
        assert Membership.objects.get(user=deckhand).role == role
    screenshot("members")

    # An API token for CI, shown once, then only its prefix.
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name", exact=True).fill("CI deploys")
    page.get_by_label("Deploy").check()
    page.get_by_role("button", name="Create token").click()
    raw = page.locator("#new-token").input_value()
    assert raw.startswith("berth_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw
    screenshot("token-created")
    token = ApiToken.objects.get(name="CI deploys")
    assert token.scopes == ["deploy", "read"]

    page.goto(f"{url}/t/blue-harbour/tokens/")
    expect(page.get_by_text(f"berth_{token.prefix}_…")).to_be_visible()
    assert raw not in page.content()
    screenshot("tokens-list")

    page.get_by_role("link", name="Audit log").click()
    for action in ("team.create", "invitation.create", "invitation.accept", "token.create"):
        expect(page.get_by_text(action, exact=True).first).to_be_visible()
        assert AuditEvent.objects.filter(action=action).exists()
    screenshot("audit-log")

    # The same pages on a phone: tables turn into one card per row.
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-log-phone")
    page.goto(f"{url}/t/blue-harbour/members/")
    screenshot("members-phone")
