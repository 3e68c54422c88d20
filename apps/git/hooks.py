"""Receiving a push webhook: verify it, decide, and queue at most one deployment per push.

The answer a provider shows in its delivery log says what happened: 401 for a
delivery not signed by the app's secret (audited, with the sender's address),
200 for a ping and for a delivery already handled, 202 with a reason for a
push Berth ignores (another branch, a tag, a deleted branch, another event),
and 202 with the deployment's number for a push it deploys. A delivery id
seen before, or a commit already queued or running on the app, deploys nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from apps.git import services, webhooks
from apps.git.models import GitSource, Outcome, WebhookDelivery
from apps.models import ACTIVE, App, Deployment
from paas import audit, crypto
from paas.access import Principal

KEEP_DELIVERIES = 100


@dataclass
class WebhookPrincipal(Principal):
    """The sender of a signed delivery: acts for the app it names, nothing else."""

    name: str = "webhook"

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def find(app_name: str, hook_id: str) -> GitSource | None:
    return (
        GitSource.objects.select_related("app", "app__team", "app__current_deployment")
        .filter(hook_id=hook_id, app__name=app_name, app__deleting_at__isnull=True)
        .first()
    )


def receive(
    *,
    app_name: str,
    hook_id: str,
    headers: Mapping[str, str],
    body: bytes,
    content_type: str = "",
    ip: str | None = None,
) -> Answer:
    source = find(app_name, hook_id)
    if source is None:
        return Answer(404, {"error": "No such webhook."})
    app = source.app
    delivery = webhooks.identify(headers)
    if delivery is None:
        return Answer(
            400,
            {"error": "Not a GitHub, Gitea or GitLab webhook (no event header).", "app": app.name},
        )
    try:
        webhooks.verify(delivery.provider, headers, body, services.webhook_secret(source))
    except (webhooks.Refused, crypto.SecretUnreadable) as exc:
        audit.record(
            WebhookPrincipal(ip=ip, name=f"unverified {delivery.provider} webhook"),
            "git.webhook_refused",
            team=app.team,
            target=app,
            data={
                "provider": delivery.provider,
                "event": delivery.event,
                "delivery": delivery.delivery_id,
                "reason": str(exc),
            },
        )
        return Answer(401, {"error": f"Refused: {exc}."})
    sender = WebhookPrincipal(ip=ip, name=f"{delivery.provider} webhook")
    if delivery.event == webhooks.PING:
        return Answer(200, {"ok": True, "message": "pong: the secret matches.", "app": app.name})
    if delivery.event != webhooks.PUSH:
        return _note(
            app, delivery, sender, Outcome.IGNORED, f"{delivery.event} events do not deploy"
        )
    try:
        push = webhooks.parse_push(delivery.provider, webhooks.load(body, content_type))
    except webhooks.BadPayload as exc:
        return Answer(400, {"error": f"Not a push this hook understands: {exc}."})
    if push.pusher:
        sender.name = f"{delivery.provider} webhook ({push.pusher})"
    if push.branch is None:
        return _note(app, delivery, sender, Outcome.IGNORED, f"{push.ref} is not a branch", push)
    if push.branch != source.branch:
        reason = f"push to {push.branch}; this app deploys {source.branch}"
        return _note(app, delivery, sender, Outcome.IGNORED, reason, push)
    if push.deleted:
        return _note(app, delivery, sender, Outcome.IGNORED, "the branch was deleted", push)
    return _deploy(app, source, delivery, sender, push)


def _note(
    app: App,
    delivery: webhooks.Delivery,
    sender: Principal,
    outcome: str,
    reason: str,
    push: webhooks.Push | None = None,
    deployment: Deployment | None = None,
) -> Answer:
    """Record a delivery that deploys nothing; a repeated delivery id is answered as one."""
    try:
        with transaction.atomic():
            _record(app, delivery, sender, outcome, reason, push, deployment)
    except IntegrityError:
        return Answer(200, {"deployed": False, "reason": "this delivery was already received"})
    status = 200 if outcome == Outcome.DUPLICATE else 202
    body: dict[str, Any] = {"deployed": False, "reason": reason}
    if deployment is not None:
        body["deployment"] = deployment.number
    return Answer(status, body)


def _record(
    app: App,
    delivery: webhooks.Delivery,
    sender: Principal,
    outcome: str,
    reason: str,
    push: webhooks.Push | None,
    deployment: Deployment | None,
) -> None:
    WebhookDelivery.objects.create(
        app=app,
        delivery_id=delivery.delivery_id,
        provider=delivery.provider,
        event=delivery.event[:40],
        ref=(push.ref if push else "")[:250],
        commit_sha=push.sha if push else "",
        outcome=outcome,
        reason=reason[:300],
        deployment=deployment,
    )
    audit.record(
        sender,
        "git.webhook",
        team=app.team,
        target=app,
        data={
            "provider": delivery.provider,
            "event": delivery.event,
            "delivery": delivery.delivery_id,
            "ref": push.ref if push else "",
            "sha": push.sha if push else "",
            "outcome": outcome,
            "reason": reason,
            "deployment": deployment.number if deployment else None,
        },
    )
    old = WebhookDelivery.objects.filter(app=app).values_list("pk", flat=True)[KEEP_DELIVERIES:]
    WebhookDelivery.objects.filter(pk__in=list(old)).delete()


def _deploy(
    app: App,
    source: GitSource,
    delivery: webhooks.Delivery,
    sender: Principal,
    push: webhooks.Push,
) -> Answer:
    try:
        with transaction.atomic():
            # The app's row lock orders concurrent deliveries of one app.
            locked = (
                App.objects.select_for_update().select_related("current_deployment").get(pk=app.pk)
            )
            if (
                delivery.delivery_id
                and WebhookDelivery.objects.filter(
                    app=locked, delivery_id=delivery.delivery_id
                ).exists()
            ):
                raise IntegrityError
            same = _same_commit(locked, push.sha)
            if same is not None:
                _record(
                    locked,
                    delivery,
                    sender,
                    Outcome.DUPLICATE,
                    f"commit {push.sha[:12]} is already #{same.number} ({same.status})",
                    push,
                    same,
                )
                return Answer(
                    200,
                    {
                        "deployed": False,
                        "reason": f"commit {push.sha[:12]} is already deployment #{same.number}",
                        "deployment": same.number,
                    },
                )
            deployment = services.queue(
                app=locked,
                principal=sender,
                branch=source.branch,
                sha=push.sha,
                message=push.message,
            )
            _record(
                locked,
                delivery,
                sender,
                Outcome.DEPLOYED,
                f"deploying {push.sha[:12]}",
                push,
                deployment,
            )
    except IntegrityError:
        return Answer(200, {"deployed": False, "reason": "this delivery was already received"})
    return Answer(202, {"deployed": True, "deployment": deployment.number, "commit": push.sha})


def _same_commit(app: App, sha: str) -> Deployment | None:
    """A deployment of ``sha`` that is queued, running, or what the app runs now."""
    active = app.deployments.filter(commit_sha=sha, status__in=ACTIVE).order_by("-number").first()
    if active is not None:
        return active
    current = app.current_deployment
    if current is not None and current.commit_sha == sha:
        return current
    return None
