"""Push to deploy, end to end: a bare repository as the remote, signed webhooks through the
real URL, a real Celery worker building the commit on the real engine, the app answering
through the real gateway."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client

from apps import services as app_services
from apps.git import services
from apps.models import Deployment, Source, Status
from paas.models import AuditEvent
from tests.integration.git.remotes import make_repo, web_executables, web_files

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def github_push(sha: str, message: str, ref: str = "refs/heads/main") -> bytes:
    return json.dumps(
        {
            "ref": ref,
            "after": sha,
            "pusher": {"name": "dev"},
            "head_commit": {"id": sha, "message": message},
            "commits": [{"id": sha, "message": message}],
        }
    ).encode()


def send(url: str, body: bytes, *, secret: str | None, delivery: str, event: str = "push"):
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery}
    if secret is not None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
    return Client().post(url, body, content_type="application/json", headers=headers)


@pytest.fixture
def repo(tmp_path, settings):
    settings.BERTH_GIT_FILE_URLS = True
    return make_repo(tmp_path / "repo")


def test_a_signed_push_deploys_exactly_the_pushed_commit(
    people, gateway, deploy_worker, finished, repo
):
    first = repo.commit(
        "Launch the shop\n\nFirst version.",
        web_files("from the first commit"),
        executable=web_executables(),
    )
    repo.commit(
        "Not pushed to the hook yet", web_files("from the tip"), executable=web_executables()
    )
    dev = people.principal("developer")
    app = app_services.create_app(team=people.team, principal=dev, name="gitshop")
    configured = services.configure(app=app, principal=dev, repository_url=repo.url)
    url = services.webhook_path(configured.source, app.name)

    answer = send(
        url, github_push(first, "Launch the shop"), secret=configured.webhook_secret, delivery="d-1"
    )

    assert answer.status_code == 202, answer.content
    deployment = finished(Deployment.objects.get(app=app))
    assert deployment.status == Status.HEALTHY, deployment.log
    assert deployment.source == Source.GIT
    assert deployment.built
    assert deployment.commit_sha == first
    assert deployment.commit_message == "Launch the shop\n\nFirst version."
    assert f"Checked out {first[:12]}: Launch the shop" in deployment.log
    # The pushed commit runs, not the branch's newer tip.
    reply = gateway.wait_for("gitshop.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "from the first commit"

    # The same delivery again, and the same commit in a new delivery, deploy nothing.
    again = send(url, github_push(first, "x"), secret=configured.webhook_secret, delivery="d-1")
    same_commit = send(
        url, github_push(first, "x"), secret=configured.webhook_secret, delivery="d-2"
    )
    assert again.status_code == 200
    assert same_commit.status_code == 200
    assert same_commit.json()["deployment"] == deployment.number
    assert Deployment.objects.filter(app=app).count() == 1


def test_refused_and_ignored_deliveries_change_nothing_then_a_gitlab_push_deploys(
    people, gateway, deploy_worker, finished, repo
):
    sha = repo.commit(
        "Web in a folder", web_files("from gitlab", "web"), executable=web_executables("web")
    )
    dev = people.principal("developer")
    app = app_services.create_app(team=people.team, principal=dev, name="gitlabbed")
    configured = services.configure(
        app=app, principal=dev, repository_url=repo.url, branch="main", subfolder="web"
    )
    url = services.webhook_path(configured.source, app.name)

    unsigned = send(url, github_push(sha, "x"), secret=None, delivery="u-1")
    forged = send(url, github_push(sha, "x"), secret="guessed", delivery="u-2")
    other_branch = send(
        url,
        github_push(sha, "x", ref="refs/heads/feature"),
        secret=configured.webhook_secret,
        delivery="u-3",
    )

    assert unsigned.status_code == 401
    assert forged.status_code == 401
    assert other_branch.status_code == 202
    assert other_branch.json()["reason"] == "push to feature; this app deploys main"
    refused = AuditEvent.objects.filter(action="git.webhook_refused", target="gitlabbed")
    assert refused.count() == 2
    assert not Deployment.objects.filter(app=app).exists()

    gitlab = Client().post(
        url,
        json.dumps(
            {
                "object_kind": "push",
                "ref": "refs/heads/main",
                "after": sha,
                "checkout_sha": sha,
                "user_username": "carol",
                "commits": [{"id": sha, "message": "Web in a folder\n"}],
            }
        ),
        content_type="application/json",
        headers={
            "X-Gitlab-Event": "Push Hook",
            "X-Gitlab-Token": str(configured.webhook_secret),
            "X-Gitlab-Event-UUID": "l-1",
        },
    )

    assert gitlab.status_code == 202, gitlab.content
    deployment = finished(Deployment.objects.get(app=app))
    assert deployment.status == Status.HEALTHY, deployment.log
    assert deployment.commit_sha == sha
    assert deployment.created_by == "gitlab webhook (carol)"
    reply = gateway.wait_for("gitlabbed.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "from gitlab"


def test_a_commit_that_cannot_be_fetched_fails_the_deployment_in_words(
    people, deploy_worker, finished, repo, namespace
):
    repo.commit("Only main", {"README": "x"})
    dev = people.principal("developer")
    app = app_services.create_app(team=people.team, principal=dev, name="nobranch")
    services.configure(app=app, principal=dev, repository_url=repo.url, branch="gone")

    deployment = finished(services.deploy_commit(app=app, principal=dev))

    assert deployment.status == Status.FAILED
    assert "The branch 'gone' does not exist in the repository." in deployment.reason
    assert deployment.commit_sha == ""
