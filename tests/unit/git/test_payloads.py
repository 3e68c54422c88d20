"""What a push says, read from each provider's payload (shapes as the providers send them)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from apps.git import webhooks
from apps.git.webhooks import GITEA, GITHUB, GITLAB, BadPayload

OLD = "1" * 40
NEW = "a" * 40
MIDDLE = "b" * 40
ZERO = "0" * 40


def github_push(
    ref: str = "refs/heads/main", after: str = NEW, deleted: bool = False
) -> dict[str, Any]:
    return {
        "ref": ref,
        "before": OLD,
        "after": after,
        "deleted": deleted,
        "pusher": {"name": "alice", "email": "alice@example.com"},
        "commits": [
            {"id": MIDDLE, "message": "First change"},
            {"id": NEW, "message": "Fix the checkout\n\nLonger text."},
        ],
        "head_commit": None
        if deleted
        else {"id": NEW, "message": "Fix the checkout\n\nLonger text."},
    }


def gitea_push() -> dict[str, Any]:
    # Gitea lists the newest commit first, and names the pusher by login.
    return {
        "ref": "refs/heads/main",
        "before": OLD,
        "after": NEW,
        "commits": [
            {"id": NEW, "message": "Gitea change\n"},
            {"id": MIDDLE, "message": "Earlier"},
        ],
        "pusher": {"login": "bob", "username": "bob"},
    }


def gitlab_push(after: str = NEW, checkout_sha: str | None = NEW) -> dict[str, Any]:
    return {
        "object_kind": "push",
        "ref": "refs/heads/main",
        "before": OLD,
        "after": after,
        "checkout_sha": checkout_sha,
        "user_username": "carol",
        "commits": [{"id": NEW, "message": "GitLab change\n"}],
        "total_commits_count": 1,
    }


def test_github_push_gives_branch_commit_message_and_pusher():
    push = webhooks.parse_push(GITHUB, github_push())

    assert push.branch == "main"
    assert push.sha == NEW
    assert push.message == "Fix the checkout\n\nLonger text."
    assert push.pusher == "alice"
    assert not push.deleted


def test_gitea_push_finds_the_message_of_the_pushed_commit():
    push = webhooks.parse_push(GITEA, gitea_push())

    assert (push.branch, push.sha, push.message, push.pusher) == (
        "main",
        NEW,
        "Gitea change",
        "bob",
    )


def test_gitlab_push_uses_the_checkout_sha():
    push = webhooks.parse_push(GITLAB, gitlab_push())

    assert (push.branch, push.sha, push.message, push.pusher) == (
        "main",
        NEW,
        "GitLab change",
        "carol",
    )


def test_a_tag_push_has_no_branch():
    push = webhooks.parse_push(GITHUB, github_push(ref="refs/tags/v1.0"))

    assert push.branch is None


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        (GITHUB, github_push(after=ZERO, deleted=True)),
        (GITEA, {**gitea_push(), "after": ZERO, "commits": []}),
        (GITLAB, gitlab_push(after=ZERO, checkout_sha=None)),
    ],
)
def test_a_deleted_branch_is_seen_as_deleted(provider, payload):
    push = webhooks.parse_push(provider, payload)

    assert push.deleted
    assert push.sha == ""


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"after": NEW}, "no ref"),
        ({"ref": "refs/heads/main", "after": "not-a-sha"}, "no commit"),
        ({"ref": "refs/heads/main"}, "no commit"),
    ],
)
def test_a_push_without_ref_or_commit_is_a_bad_payload(payload, reason):
    with pytest.raises(BadPayload, match=reason):
        webhooks.parse_push(GITHUB, payload)


def test_a_very_long_message_is_cut():
    payload = github_push()
    payload["head_commit"]["message"] = "x" * 10_000
    payload["commits"] = []

    assert len(webhooks.parse_push(GITHUB, payload).message) == webhooks.MAX_MESSAGE


def test_json_and_githubs_form_encoded_bodies_load_alike():
    payload = github_push()
    as_json = json.dumps(payload).encode()
    as_form = urlencode({"payload": json.dumps(payload)}).encode()

    assert webhooks.load(as_json, "application/json") == payload
    assert webhooks.load(as_form, "application/x-www-form-urlencoded") == payload


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_bad_payload(body):
    with pytest.raises(BadPayload):
        webhooks.load(body, "application/json")
