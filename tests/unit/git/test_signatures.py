"""Who sent a delivery and whether it carries the hook's secret, per provider."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from apps.git import webhooks
from apps.git.webhooks import GITEA, GITHUB, GITLAB, Refused

SECRET = "s3cret-of-the-hook"
BODY = b'{"ref": "refs/heads/main"}'


def signature(body: bytes = BODY, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("headers", "provider", "event", "delivery"),
    [
        ({"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1"}, GITHUB, "push", "d-1"),
        ({"X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-2"}, GITHUB, "ping", "d-2"),
        # Gitea also sends GitHub's headers; it is still Gitea.
        (
            {"X-GitHub-Event": "push", "X-Gitea-Event": "push", "X-Gitea-Delivery": "g-1"},
            GITEA,
            "push",
            "g-1",
        ),
        ({"X-Forgejo-Event": "push", "X-Forgejo-Delivery": "f-1"}, GITEA, "push", "f-1"),
        ({"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "l-1"}, GITLAB, "push", "l-1"),
        ({"X-Gitlab-Event": "Tag Push Hook"}, GITLAB, "tag_push", ""),
        ({"X-Gitlab-Event": "Merge Request Hook"}, GITLAB, "merge_request", ""),
    ],
)
def test_it_tells_the_provider_event_and_delivery_id_from_the_headers(
    headers, provider, event, delivery
):
    found = webhooks.identify({k.lower(): v for k, v in headers.items()})

    assert found == webhooks.Delivery(provider, event, delivery)


def test_a_request_without_an_event_header_is_no_known_webhook():
    assert webhooks.identify({"Content-Type": "application/json"}) is None


@pytest.mark.parametrize("provider", [GITHUB, GITEA])
def test_a_body_signed_with_the_secret_passes(provider):
    webhooks.verify(provider, {"X-Hub-Signature-256": signature()}, BODY, SECRET)


def test_gitea_older_hex_signature_passes():
    bare = signature().removeprefix("sha256=")
    webhooks.verify(GITEA, {"X-Gitea-Signature": bare}, BODY, SECRET)


@pytest.mark.parametrize("provider", [GITHUB, GITEA])
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no X-Hub-Signature-256"),
        ({"X-Hub-Signature-256": signature(secret="another secret")}, "does not match"),
        ({"X-Hub-Signature-256": signature(body=BODY + b" ")}, "does not match"),
        ({"X-Hub-Signature-256": "sha1=" + "0" * 40}, "not of the form sha256="),
        ({"X-Hub-Signature-256": "sha256="}, "not of the form sha256="),
        ({"X-Hub-Signature-256": "sha256=zz"}, "does not match"),
    ],
)
def test_a_missing_wrong_or_tampered_signature_is_refused(provider, headers, reason):
    with pytest.raises(Refused, match=reason):
        webhooks.verify(provider, headers, BODY, SECRET)


def test_a_github_delivery_cannot_pass_with_giteas_bare_signature():
    bare = signature().removeprefix("sha256=")
    with pytest.raises(Refused):
        webhooks.verify(GITHUB, {"X-Gitea-Signature": bare}, BODY, SECRET)


def test_gitlab_passes_with_its_token():
    webhooks.verify(GITLAB, {"X-Gitlab-Token": SECRET}, BODY, SECRET)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no X-Gitlab-Token"),
        ({"X-Gitlab-Token": "wrong"}, "wrong X-Gitlab-Token"),
        ({"X-Gitlab-Token": SECRET + "x"}, "wrong X-Gitlab-Token"),
        # A GitHub-style signature does not stand in for GitLab's token.
        ({"X-Hub-Signature-256": signature()}, "no X-Gitlab-Token"),
    ],
)
def test_gitlab_without_the_right_token_is_refused(headers, reason):
    with pytest.raises(Refused, match=reason):
        webhooks.verify(GITLAB, headers, BODY, SECRET)


def test_refusal_reasons_never_contain_the_secret_or_expected_signature():
    with pytest.raises(Refused) as caught:
        webhooks.verify(GITHUB, {"X-Hub-Signature-256": "sha256=00"}, BODY, SECRET)
    assert SECRET not in str(caught.value)
    assert signature().removeprefix("sha256=") not in str(caught.value)
