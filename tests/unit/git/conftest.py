from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps import services as app_services
from apps.git import services
from tests.support.personas import Personas

REPO = "https://git.example.com/acme/shop.git"


@pytest.fixture
def shop(people: Personas) -> Any:
    return app_services.create_app(
        team=people.team, principal=people.principal("owner"), name="shop"
    )


@pytest.fixture
def configured(people: Personas, shop: Any) -> services.Configured:
    """The shop app with a git source on main; ``.webhook_secret`` is its secret."""
    return services.configure(
        app=shop, principal=people.principal("developer"), repository_url=REPO, branch="main"
    )


@pytest.fixture
def deliver() -> Callable[..., Any]:
    """POST a delivery to a hook URL as a provider would (signed with ``secret``, if given)."""

    def send(
        url: str,
        payload: Any,
        *,
        provider: str = "github",
        event: str = "push",
        secret: str | None = None,
        delivery: str = "",
        client: Client | None = None,
    ) -> Any:
        body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        headers: dict[str, str] = {}
        if provider == "gitlab":
            headers["X-Gitlab-Event"] = {"push": "Push Hook"}.get(event, event)
            if delivery:
                headers["X-Gitlab-Event-UUID"] = delivery
            if secret is not None:
                headers["X-Gitlab-Token"] = secret
        else:
            prefix = "X-GitHub" if provider == "github" else "X-Gitea"
            headers[f"{prefix}-Event"] = event
            if delivery:
                headers[f"{prefix}-Delivery"] = delivery
            if secret is not None:
                digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                headers["X-Hub-Signature-256"] = f"sha256={digest}"
        return (client or Client()).post(
            url, body, content_type="application/json", headers=headers, REMOTE_ADDR="203.0.113.9"
        )

    return send


def push(sha: str, *, ref: str = "refs/heads/main", message: str = "Change") -> dict[str, Any]:
    return {
        "ref": ref,
        "before": "1" * 40,
        "after": sha,
        "pusher": {"name": "alice"},
        "head_commit": {"id": sha, "message": message},
        "commits": [{"id": sha, "message": message}],
    }


@pytest.fixture
def as_(people: Personas) -> Callable[[str], Client]:
    def make(name: str) -> Client:
        client = Client()
        client.force_login(getattr(people, name))
        return client

    return make
