"""Putting an app's engine objects in the state a deployment describes.

Shared by the deploy pipeline (apply a new version, revert to the last good
one) and the reconcile (put back what was removed or changed outside Berth).
"""

from __future__ import annotations

import logging
from typing import Any

from apps import engine
from apps.compose.resolve import overlay as stack_overlay
from apps.desired import desired, secret_engine_name, secret_labels
from apps.models import AppSecret, Deployment
from apps.spec import service_spec
from paas import crypto, naming
from paas.transport import EngineError

log = logging.getLogger(__name__)
KEEP_IMAGES = 10


def _label_filter(app_name: str, kind: str) -> list[str]:
    return [
        f"{naming.NAMESPACE_LABEL}={naming.namespace()}",
        f"{naming.KIND_LABEL}={kind}",
        f"{naming.APP_LABEL}={app_name}",
    ]


def ensure_secrets(app_name: str, config: dict[str, Any]) -> dict[str, str]:
    """Engine name -> id of every secret ``config`` uses, creating the missing ones."""
    wanted = list(config.get("secrets") or [])
    if not wanted:
        return {}
    existing = engine.secret_ids(_label_filter(app_name, "secret"))
    for ref in wanted:
        name = ref["engine_name"]
        if name in existing:
            continue
        row = AppSecret.objects.filter(pk=ref.get("id"), app__name=app_name).first()
        if row is None or secret_engine_name(app_name, row) != name:
            raise EngineError(
                f"The secret {ref['file']!r} of this version was changed or removed since; "
                "deploy again to use its current value."
            )
        existing[name] = engine.create_secret(
            name, crypto.decrypt(row.ciphertext), secret_labels(app_name)
        )
    return existing


def spec_for(
    app_name: str,
    *,
    image: str,
    config: dict[str, Any],
    number: int,
    network_id: str | None = None,
) -> dict[str, Any]:
    network = network_id or engine.network_id(naming.apps_network())
    ids = ensure_secrets(app_name, config)
    compose = config.get("compose")
    if compose and not compose.get("apps_network", True):
        network = ""  # a stack's internal service lives on the stack's networks only
    return service_spec(
        desired(
            app_name=app_name,
            image=image,
            config=config,
            network_id=network,
            secret_ids=ids,
            deployment=number,
            overlay=stack_overlay(compose) if compose else None,
        )
    )


def spec_of(deployment: Deployment) -> dict[str, Any]:
    return spec_for(
        deployment.app.name,
        image=deployment.image,
        config=deployment.config,
        number=deployment.number,
    )


def prune_secrets(app_name: str, keep: set[str]) -> int:
    """Remove the app's engine secrets no version in ``keep`` uses; in-use ones stay."""
    removed = 0
    for name, secret_id in engine.secret_ids(_label_filter(app_name, "secret")).items():
        if name not in keep and engine.remove_secret(secret_id):
            removed += 1
    return removed


def prune_images(app_name: str, keep: set[str]) -> int:
    """Remove images Berth built for the app except ``keep`` (the recent healthy ones)."""
    removed = 0
    for image in engine.images(_label_filter(app_name, "image")):
        tags = image.get("RepoTags") or []
        if any(tag in keep for tag in tags):
            continue
        for tag in tags or [image["Id"]]:
            if engine.remove_image(tag):
                removed += 1
    return removed


def images_to_keep(app_id: int) -> set[str]:
    recent = (
        Deployment.objects.filter(app_id=app_id, built=True, status="healthy")
        .order_by("-number")
        .values_list("image", flat=True)[:KEEP_IMAGES]
    )
    return set(recent)


def remove_everything(app_name: str) -> list[str]:
    """Remove the app's service, secrets and built images; returns what is left behind."""
    left: list[str] = []
    engine.remove_service(naming.app_service(app_name))
    prune_secrets(app_name, set())
    if engine.secret_ids(_label_filter(app_name, "secret")):
        left.append("secrets")
    prune_images(app_name, set())
    if engine.images(_label_filter(app_name, "image")):
        left.append("images")
    return left
