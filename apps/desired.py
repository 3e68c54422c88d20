"""From rows to :class:`apps.spec.Desired`: the settings snapshot a deployment runs with.

A deployment records the app's settings as they were when it ran (``config``),
so a revert, a reconcile or a rollback re-creates exactly what was healthy,
not settings changed since.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.compose.selectors import compose_of
from apps.models import CONFIG_FIELDS, App, AppSecret
from apps.spec import Desired, SecretRef
from apps.volumes import selectors as volume_selectors
from apps.volumes import spec as volume_spec
from paas import naming


def secret_engine_name(app_name: str, secret: AppSecret) -> str:
    # Swarm secrets cannot change: every value gets a name of its own.
    return naming.namespaced("app", app_name, secret.name, f"{secret.pk}v{secret.version}")


def secret_labels(app_name: str) -> dict[str, str]:
    return naming.labels("secret", **{naming.APP_LABEL: app_name})


def app_labels(app_name: str) -> dict[str, str]:
    return naming.labels("app", **{naming.APP_LABEL: app_name})


def snapshot(app: App, secrets: list[AppSecret]) -> dict[str, Any]:
    config: dict[str, Any] = {name: getattr(app, name) for name in CONFIG_FIELDS}
    config["secrets"] = [
        {"file": s.name, "engine_name": secret_engine_name(app.name, s), "id": s.pk}
        for s in secrets
    ]
    config["mounts"] = volume_selectors.mount_entries(app.pk)
    compose = compose_of(app.pk)
    if compose is not None:
        config["compose"] = compose
    return config


def desired(
    *,
    app_name: str,
    image: str,
    config: dict[str, Any],
    network_id: str,
    secret_ids: dict[str, str],
    deployment: int,
    overlay: dict[str, Any] | None = None,
) -> Desired:
    refs = tuple(
        SecretRef(
            file=s["file"], engine_name=s["engine_name"], engine_id=secret_ids[s["engine_name"]]
        )
        for s in config.get("secrets", [])
    )
    mounts = list(config.get("mounts") or [])
    return Desired(
        app=app_name,
        service_name=naming.app_service(app_name),
        image=image,
        network=network_id,
        labels=app_labels(app_name),
        instances=int(config.get("instances", 1)),
        container_port=int(config.get("container_port", 80)),
        env=dict(config.get("env") or {}),
        health_check_path=str(config.get("health_check_path") or ""),
        cpu_limit=config.get("cpu_limit"),
        cpu_reservation=config.get("cpu_reservation"),
        memory_limit_mb=config.get("memory_limit_mb"),
        memory_reservation_mb=config.get("memory_reservation_mb"),
        placement=dict(config.get("placement") or {}),
        secrets=refs,
        deployment=deployment,
        health_interval=settings.BERTH_HEALTH_INTERVAL_SECONDS,
        health_start_seconds=settings.BERTH_HEALTH_START_SECONDS,
        monitor_seconds=settings.BERTH_DEPLOY_MONITOR_SECONDS,
        stop_grace_seconds=settings.BERTH_STOP_GRACE_SECONDS,
        mounts=volume_spec.engine_mounts(mounts),
        constraints=volume_spec.constraints(mounts),
        stop_first=volume_spec.single_writer(mounts),
        overlay=overlay or {},
    )
