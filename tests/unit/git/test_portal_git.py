"""The app's Git page: set the source, the secret shown once, deliveries, personas."""

from __future__ import annotations

import pytest

from apps.git import services
from apps.git.models import GitSource
from apps.models import Deployment
from tests.unit.git.conftest import REPO, push

pytestmark = pytest.mark.django_db

PAGE = "/t/acme/apps/shop/git/"
TOKEN = "glpat-" + "x" * 20


def test_a_developer_sets_the_source_and_sees_the_secret_once(as_, shop):
    client = as_("developer")

    saved = client.post(
        PAGE,
        {
            "repository_url": REPO,
            "branch": "main",
            "subfolder": "",
            "credential": "token",
            "token": TOKEN,
            "username": "",
            "known_hosts": "",
        },
    )
    later = client.get(PAGE)

    assert saved.status_code == 200, saved.content.decode()[:2000]
    source = GitSource.objects.get(app=shop)
    secret = services.webhook_secret(source)
    assert secret in saved.content.decode()
    assert f"/hooks/shop/{source.hook_id}/" in saved.content.decode()
    assert later.status_code == 200
    page = later.content.decode()
    assert secret not in page
    assert TOKEN not in saved.content.decode() + page
    assert "Keep the stored https token" in page


def test_form_errors_show_next_to_their_field(as_, shop):
    response = as_("developer").post(
        PAGE,
        {"repository_url": "/srv/git/shop", "branch": "main", "credential": "none"},
    )

    assert response.status_code == 400
    assert "Local paths are not allowed" in response.content.decode()
    assert not GitSource.objects.exists()


def test_a_token_choice_without_a_token_is_an_error(as_, shop):
    response = as_("developer").post(
        PAGE, {"repository_url": REPO, "branch": "main", "credential": "token"}
    )

    assert response.status_code == 400
    assert "Give the access token." in response.content.decode()


def test_a_new_secret_is_shown_on_its_page(as_, configured):
    response = as_("developer").post(PAGE + "secret/")

    assert response.status_code == 200
    fresh = services.webhook_secret(GitSource.objects.get())
    assert fresh != configured.webhook_secret
    assert fresh in response.content.decode()


def test_deliveries_and_refusals_are_listed(as_, configured, deliver, shop):
    url = services.webhook_path(configured.source, "shop")
    deliver(url, push("a" * 40), secret=configured.webhook_secret, delivery="d-1")
    deliver(url, push("b" * 40, ref="refs/heads/dev"), secret=configured.webhook_secret)
    deliver(url, push("c" * 40), secret="guessed")

    page = as_("viewer").get(PAGE).content.decode()

    assert "aaaaaaaaaaaa" in page
    assert "push to dev; this app deploys main" in page
    assert "the signature does not match the secret" in page
    assert "203.0.113.9" in page


def test_deploy_now_opens_the_new_deployment(as_, configured):
    response = as_("developer").post(PAGE + "deploy/")

    deployment = Deployment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/t/acme/apps/shop/deployments/{deployment.number}/"


def test_a_deployment_page_shows_its_commit(as_, configured, deliver):
    url = services.webhook_path(configured.source, "shop")
    deliver(url, push("d" * 40, message="Ship the cart"), secret=configured.webhook_secret)

    page = as_("viewer").get("/t/acme/apps/shop/deployments/1/").content.decode()

    assert "dddddddddddd" in page
    assert "Ship the cart" in page


def test_a_viewer_sees_the_source_without_a_form_and_cannot_change_it(as_, configured):
    client = as_("viewer")

    page = client.get(PAGE)

    assert page.status_code == 200
    assert REPO in page.content.decode()
    assert 'data-test="git-form"' not in page.content.decode()
    assert client.post(PAGE, {"repository_url": REPO, "credential": "none"}).status_code == 403
    assert client.post(PAGE + "secret/").status_code == 403
    assert client.post(PAGE + "deploy/").status_code == 403
    assert client.post(PAGE + "remove/").status_code == 403
    assert not Deployment.objects.exists()


def test_an_outsider_gets_404(as_, configured):
    client = as_("outsider")

    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE + "secret/").status_code == 404


def test_removing_the_source(as_, configured):
    response = as_("developer").post(PAGE + "remove/")

    assert response.status_code == 302
    assert not GitSource.objects.exists()
