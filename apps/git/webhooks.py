"""Push webhooks of GitHub, Gitea (and Forgejo) and GitLab: who sent it, is it signed, what moved.

Pure functions over the headers and the raw body, so each provider's rules are
unit-tested without a request. GitHub and Gitea sign the body with
HMAC-SHA256 of the hook's secret (``X-Hub-Signature-256: sha256=<hex>``; older
Gitea sends ``X-Gitea-Signature: <hex>``); GitLab sends the secret itself as
``X-Gitlab-Token``. Both are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

GITHUB = "github"
GITEA = "gitea"
GITLAB = "gitlab"
PROVIDERS = (GITHUB, GITEA, GITLAB)

PUSH = "push"
PING = "ping"

ZERO_SHA = re.compile(r"^0+$")
SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
MAX_MESSAGE = 2000


class Refused(Exception):
    """The delivery is not signed by the hook's secret; the message says why (no secrets)."""


class BadPayload(Exception):
    """A signed delivery whose body is not a push this module understands."""


@dataclass(frozen=True)
class Delivery:
    provider: str
    event: str  # "push", "ping", or the provider's own name of another event
    delivery_id: str


@dataclass(frozen=True)
class Push:
    ref: str
    sha: str
    message: str
    pusher: str
    deleted: bool

    @property
    def branch(self) -> str | None:
        """The branch pushed to, or None for a tag or another kind of ref."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def identify(headers: Mapping[str, str]) -> Delivery | None:
    """The provider, event and delivery id from the headers; None for an unknown sender."""
    h = _lower(headers)
    # Gitea and Forgejo also send X-GitHub-Event for compatibility: look at them first.
    for event_header, id_header in (
        ("x-forgejo-event", "x-forgejo-delivery"),
        ("x-gitea-event", "x-gitea-delivery"),
    ):
        if event_header in h:
            return Delivery(GITEA, h[event_header].strip().lower(), _id(h.get(id_header)))
    if "x-gitlab-event" in h:
        name = h["x-gitlab-event"].strip()
        event = {"push hook": PUSH, "tag push hook": "tag_push"}.get(
            name.lower(), name.lower().removesuffix(" hook").replace(" ", "_")
        )
        return Delivery(GITLAB, event, _id(h.get("x-gitlab-event-uuid")))
    if "x-github-event" in h:
        return Delivery(
            GITHUB, h["x-github-event"].strip().lower(), _id(h.get("x-github-delivery"))
        )
    return None


def _id(value: str | None) -> str:
    return (value or "").strip()[:100]


def hmac_sha256(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(provider: str, headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Return if the delivery carries the hook's secret; raise :class:`Refused` if not."""
    h = _lower(headers)
    if provider == GITLAB:
        token = h.get("x-gitlab-token")
        if not token:
            raise Refused("no X-Gitlab-Token header")
        if not hmac.compare_digest(token.encode(), secret.encode()):
            raise Refused("wrong X-Gitlab-Token")
        return
    expected = hmac_sha256(secret, body)
    signature = h.get("x-hub-signature-256")
    if signature is not None:
        scheme, _, given = signature.strip().partition("=")
        if scheme != "sha256" or not given:
            raise Refused("X-Hub-Signature-256 is not of the form sha256=<hex>")
    elif provider == GITEA and (h.get("x-gitea-signature") or h.get("x-forgejo-signature")):
        given = (h.get("x-gitea-signature") or h.get("x-forgejo-signature") or "").strip()
    else:
        raise Refused("no X-Hub-Signature-256 header (set the webhook's secret)")
    if not hmac.compare_digest(given.lower().encode(), expected.encode()):
        raise Refused("the signature does not match the secret")


def load(body: bytes, content_type: str = "") -> dict[str, Any]:
    """The JSON payload; GitHub's form-encoded variant carries it in ``payload=``."""
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode(), strict_parsing=False)
            text = form.get("payload", [""])[0]
        else:
            text = body.decode()
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise BadPayload("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    return data


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _commit_message(payload: dict[str, Any], sha: str) -> str:
    commits = payload.get("commits")
    if isinstance(commits, list):
        for commit in commits:
            if isinstance(commit, dict) and _text(commit.get("id")).lower() == sha:
                return _text(commit.get("message"))
    head = payload.get("head_commit")
    if isinstance(head, dict) and _text(head.get("id")).lower() == sha:
        return _text(head.get("message"))
    return ""


def parse_push(provider: str, payload: dict[str, Any]) -> Push:
    ref = _text(payload.get("ref"))
    after = _text(payload.get("after")).lower()
    if provider == GITLAB:
        # checkout_sha is the tip GitLab would check out; null when the branch is deleted.
        after = _text(payload.get("checkout_sha")).lower() or after
        pusher = _text(payload.get("user_username")) or _text(payload.get("user_name"))
    else:
        who = payload.get("pusher")
        who = who if isinstance(who, dict) else {}
        pusher = _text(who.get("login")) or _text(who.get("username")) or _text(who.get("name"))
    if not ref:
        raise BadPayload("the push names no ref")
    deleted = payload.get("deleted") is True or bool(after and ZERO_SHA.match(after))
    if not deleted and not SHA.match(after):
        raise BadPayload("the push names no commit (after)")
    message = "" if deleted else _commit_message(payload, after)
    return Push(
        ref=ref,
        sha="" if deleted else after,
        message=message.strip()[:MAX_MESSAGE],
        pusher=pusher[:100],
        deleted=deleted,
    )
