"""Deploying from git in a real Chromium: the Git tab refuses a local path next to its
field, saves a repository and shows the webhook secret once, deploys the branch's tip
(the deployment page shows the commit), and lists a signed push sent over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from apps import services
from apps.models import Deployment, Status
from tests.e2e.test_apps import sign_in
from tests.integration.apps.conftest import _remove_built_images
from tests.integration.git.remotes import make_repo, web_executables, web_files
from tests.support.apps import deploy_worker, fast_deploys, wait_finished

__all__ = ["_remove_built_images", "deploy_worker", "fast_deploys"]

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_set_a_repository_deploy_its_tip_and_see_a_push_arrive(
    live_server: Any,
    page: Any,
    screenshot: Any,
    people: Any,
    gateway: Any,
    deploy_worker: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.BERTH_GIT_FILE_URLS = True
    repo = make_repo(tmp_path / "repo")
    tip = repo.commit("Shop from git", web_files("from git"), executable=web_executables())
    services.create_app(team=people.team, principal=people.principal("developer"), name="fromgit")
    url = live_server.url
    sign_in(page, url, "developer")

    page.goto(f"{url}/t/acme/apps/fromgit/")
    page.get_by_role("navigation", name="App").get_by_role("link", name="Git").click()
    page.get_by_label("Repository URL").fill("/srv/git/shop.git")
    page.get_by_role("button", name="Save git source").click()
    expect(page.get_by_text("Local paths are not allowed")).to_be_visible()
    page.get_by_label("Repository URL").fill(repo.url)
    page.get_by_role("button", name="Save git source").click()
    secret_box = page.locator("#webhook-secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.input_value()
    hook = page.locator("#webhook-url").input_value()
    assert hook.startswith(f"{url}/hooks/fromgit/")
    screenshot("git-source-saved")
    page.goto(f"{url}/t/acme/apps/fromgit/git/")
    expect(page.locator("#webhook-url")).to_have_value(hook)
    expect(page.locator("#webhook-secret")).to_have_count(0)

    page.get_by_role("button", name="Deploy the tip of main now").click()
    expect(page).to_have_url(f"{url}/t/acme/apps/fromgit/deployments/1/")
    deployment = wait_finished(Deployment.objects.get(app__name="fromgit"))
    assert deployment.status == Status.HEALTHY, deployment.log
    assert gateway.wait_for("fromgit.localhost", "/cgi-bin/info").fact("message") == "from git"
    page.reload()
    expect(page.locator("[data-test=commit-sha]")).to_have_text(tip[:12])
    expect(page.locator("[data-test=commit-message]")).to_contain_text("Shop from git")
    screenshot("deployed-from-git")

    # The same commit pushed: a real HTTP POST, signed; it is already running.
    body = json.dumps(
        {"ref": "refs/heads/main", "after": tip, "head_commit": {"id": tip, "message": "x"}}
    ).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        hook,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "e2e-1",
            "X-Hub-Signature-256": f"sha256={signature}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        assert json.loads(answer.read())["deployment"] == 1
    page.goto(f"{url}/t/acme/apps/fromgit/git/")
    expect(page.locator("[data-test=deliveries]")).to_contain_text("is already #1")
    screenshot("delivery-listed")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("git-tab-phone")
