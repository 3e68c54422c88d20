"""POST /hooks/<app>/<id>/: signed pushes deploy once; everything else is answered and explained."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.git import services
from apps.git.models import Outcome, WebhookDelivery
from apps.models import Deployment, Source, Status
from paas.models import AuditEvent
from tests.unit.git.conftest import push

pytestmark = pytest.mark.django_db

SHA = "c0ffee" + "0" * 34
OTHER_SHA = "beef" + "1" * 36


@pytest.fixture
def url(configured, shop):
    return services.webhook_path(configured.source, shop.name)


def test_a_signed_github_push_to_the_branch_queues_a_deployment_of_that_commit(
    configured, url, deliver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = deliver(
            url,
            push(SHA, message="Fix checkout\n\nDetails"),
            secret=configured.webhook_secret,
            delivery="d-1",
        )

    assert response.status_code == 202, response.content
    assert response.json()["deployed"] is True
    deployment = Deployment.objects.get(app=configured.source.app)
    assert response.json()["deployment"] == deployment.number == 1
    assert deployment.source == Source.GIT
    assert deployment.status == Status.QUEUED
    assert deployment.commit_sha == SHA
    assert deployment.commit_message == "Fix checkout\n\nDetails"
    assert deployment.summary == f"Git main @ {SHA[:7]}: Fix checkout"
    assert deployment.created_by == "github webhook (alice)"
    assert len(callbacks) == 1  # the worker is asked after commit
    row = WebhookDelivery.objects.get()
    assert (row.delivery_id, row.outcome, row.deployment) == ("d-1", Outcome.DEPLOYED, deployment)
    event = AuditEvent.objects.get(action="git.webhook")
    assert event.data["sha"] == SHA
    assert event.actor_label == "github webhook (alice)"


@pytest.mark.parametrize("provider", ["gitea", "gitlab"])
def test_gitea_and_gitlab_pushes_deploy_too(configured, url, deliver, provider):
    payload = push(SHA)
    if provider == "gitlab":
        payload = {**payload, "checkout_sha": SHA, "user_username": "carol"}

    response = deliver(url, payload, provider=provider, secret=configured.webhook_secret)

    assert response.status_code == 202, response.content
    assert Deployment.objects.get().commit_sha == SHA


@pytest.mark.parametrize(
    ("provider", "secret", "reason"),
    [
        ("github", None, "no X-Hub-Signature-256"),
        ("github", "a guessed secret", "does not match"),
        ("gitea", "a guessed secret", "does not match"),
        ("gitlab", None, "no X-Gitlab-Token"),
        ("gitlab", "a guessed secret", "wrong X-Gitlab-Token"),
    ],
)
def test_an_unsigned_or_wrongly_signed_delivery_is_refused_and_audited(
    people, url, deliver, provider, secret, reason
):
    response = deliver(url, push(SHA), provider=provider, secret=secret, delivery="evil-1")

    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert not Deployment.objects.exists()
    assert not WebhookDelivery.objects.exists()
    event = AuditEvent.objects.get(action="git.webhook_refused")
    assert event.team == people.team
    assert event.target == "shop"
    assert event.ip == "203.0.113.9"
    assert reason in event.data["reason"]
    assert event.data["delivery"] == "evil-1"
    assert event.actor_label == f"unverified {provider} webhook"


def test_a_refused_delivery_does_not_block_the_real_one_with_the_same_id(configured, url, deliver):
    deliver(url, push(SHA), secret="wrong", delivery="d-9")

    response = deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-9")

    assert response.status_code == 202


def test_a_push_to_another_branch_is_ignored_with_202_and_a_reason(configured, url, deliver):
    response = deliver(url, push(SHA, ref="refs/heads/feature/x"), secret=configured.webhook_secret)

    assert response.status_code == 202
    assert response.json() == {
        "deployed": False,
        "reason": "push to feature/x; this app deploys main",
    }
    assert not Deployment.objects.exists()
    assert WebhookDelivery.objects.get().outcome == Outcome.IGNORED


@pytest.mark.parametrize(
    ("payload", "event", "reason"),
    [
        (push(SHA, ref="refs/tags/v1"), "push", "refs/tags/v1 is not a branch"),
        ({**push("0" * 40), "deleted": True}, "push", "the branch was deleted"),
        ({"action": "opened"}, "issues", "issues events do not deploy"),
    ],
)
def test_tags_deletions_and_other_events_deploy_nothing(
    configured, url, deliver, payload, event, reason
):
    response = deliver(url, payload, event=event, secret=configured.webhook_secret)

    assert response.status_code == 202
    assert response.json()["reason"] == reason
    assert not Deployment.objects.exists()


def test_a_ping_is_answered_200_when_the_secret_matches(configured, url, deliver):
    response = deliver(
        url, {"zen": "Keep it simple."}, event="ping", secret=configured.webhook_secret
    )

    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_a_ping_with_a_wrong_secret_is_refused(url, deliver):
    assert deliver(url, {"zen": "x"}, event="ping", secret="nope").status_code == 401


def test_the_same_delivery_twice_deploys_once(configured, url, deliver):
    first = deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-1")
    again = deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-1")

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"deployed": False, "reason": "this delivery was already received"}
    assert Deployment.objects.count() == 1


def test_the_same_commit_in_another_delivery_while_queued_deploys_once(configured, url, deliver):
    deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-1")

    again = deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-2")

    assert again.status_code == 200
    assert again.json()["deployment"] == 1
    assert Deployment.objects.count() == 1
    assert WebhookDelivery.objects.get(delivery_id="d-2").outcome == Outcome.DUPLICATE


def test_the_commit_the_app_runs_is_not_deployed_again(configured, url, deliver, shop):
    deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-1")
    running = Deployment.objects.get()
    Deployment.objects.filter(pk=running.pk).update(status=Status.HEALTHY)
    shop.current_deployment = running
    shop.save(update_fields=["current_deployment"])

    again = deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-2")
    newer = deliver(url, push(OTHER_SHA), secret=configured.webhook_secret, delivery="d-3")

    assert again.status_code == 200
    assert newer.status_code == 202
    assert list(Deployment.objects.values_list("commit_sha", flat=True)) == [OTHER_SHA, SHA]


def test_a_newer_push_replaces_a_still_queued_one(configured, url, deliver):
    deliver(url, push(SHA), secret=configured.webhook_secret, delivery="d-1")
    deliver(url, push(OTHER_SHA), secret=configured.webhook_secret, delivery="d-2")

    older, newer = Deployment.objects.order_by("number")
    assert older.status == Status.CANCELLED
    assert newer.status == Status.QUEUED
    assert newer.commit_sha == OTHER_SHA


def test_an_unknown_hook_or_another_apps_name_is_404(configured, url, deliver, people):
    from apps import services as app_services

    app_services.create_app(team=people.team, principal=people.principal("owner"), name="other")
    wrong_id = url.replace(configured.source.hook_id, "0" * 32)
    wrong_app = url.replace("/shop/", "/other/")

    assert deliver(wrong_id, push(SHA), secret=configured.webhook_secret).status_code == 404
    assert deliver(wrong_app, push(SHA), secret=configured.webhook_secret).status_code == 404
    assert not AuditEvent.objects.filter(action="git.webhook_refused").exists()


def test_it_needs_no_csrf_token_but_only_takes_post(configured, url, deliver):
    strict = Client(enforce_csrf_checks=True)

    assert (
        deliver(url, push(SHA), secret=configured.webhook_secret, client=strict).status_code == 202
    )
    assert strict.get(url).status_code == 405


def test_a_sender_that_is_no_known_provider_gets_400(url):
    response = Client().post(url, b"{}", content_type="application/json")

    assert response.status_code == 400
    assert "GitHub, Gitea or GitLab" in response.json()["error"]


def test_a_signed_body_that_is_not_json_gets_400(configured, url, deliver):
    response = deliver(url, b"not json", secret=configured.webhook_secret)

    assert response.status_code == 400


def test_a_regenerated_secret_replaces_the_old_one(configured, url, deliver, people, shop):
    _, fresh = services.regenerate_secret(app=shop, principal=people.principal("developer"))

    assert deliver(url, push(SHA), secret=configured.webhook_secret).status_code == 401
    assert deliver(url, push(SHA), secret=fresh).status_code == 202


def test_an_app_being_deleted_takes_no_deliveries(configured, url, deliver, people, shop):
    from apps import services as app_services

    app_services.delete_app(app=shop, principal=people.principal("owner"))

    assert deliver(url, push(SHA), secret=configured.webhook_secret).status_code == 404
