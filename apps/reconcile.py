"""Periodic repair: services changed or removed outside Berth, dead workers, deletions.

Only services carrying this installation's namespace label and an app name
Berth knows are ever touched. An app whose deployment is running is skipped
(its lock is held); the next pass looks again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps import builds, converge, engine, locks, routes
from apps.models import RUNNING, App, Deployment, Status
from apps.spec import drift
from paas import audit, naming
from paas.transport import EngineError

log = logging.getLogger(__name__)
QUEUED_GRACE = timedelta(seconds=30)


def app_services() -> dict[str, dict[str, Any]]:
    labels = [f"{naming.NAMESPACE_LABEL}={naming.namespace()}", f"{naming.KIND_LABEL}=app"]
    return {s["Spec"]["Name"]: s for s in engine.list_services(labels)}


def repair_app(
    app: App,
    service: dict[str, Any] | None,
    network_id: str,
    addresses: tuple[str, ...] | None = None,
) -> list[str]:
    """Put the app's service back to its current deployment; returns what was repaired."""
    current = app.current_deployment
    if current is None:
        return []
    with locks.unless_busy(app.pk) as free:
        if not free:
            return []
        spec = converge.spec_for(
            app.name,
            image=current.image,
            config=current.config,
            number=current.number,
            network_id=network_id,
        )
        repaired: list[str] = []
        if service is None:
            engine.create_service(spec)
            repaired.append("the service was missing and was created again")
        else:
            changes = drift(spec, service["Spec"])
            if changes:
                engine.update_service(service["ID"], service["Version"]["Index"], spec)
                repaired.append(f"the service was changed outside Berth ({', '.join(changes)})")
        # Tasks swarm restarted or moved since get requests from now on (a service
        # just put back has new ones: read them).
        routes.apply(app, addresses=None if repaired else addresses)
    if repaired:
        text = "; ".join(repaired)
        with transaction.atomic():
            App.objects.filter(pk=app.pk).update(last_repair=text, last_repair_at=timezone.now())
            audit.record(
                None,
                "app.repair",
                team=app.team,
                target=app,
                data={"repaired": repaired, "deployment": current.number},
            )
        log.info("repaired %s: %s", app.name, text)
    return repaired


def reroute(app_names: Iterable[str]) -> None:
    """Re-apply these apps' routes with their running tasks' addresses now
    (:mod:`apps.watch`). An app a deployment or a repair works on is left to it: each
    routes when it ends."""
    apps = App.objects.filter(
        name__in=set(app_names), deleting_at__isnull=True, current_deployment__isnull=False
    ).select_related("current_deployment", "team")
    for app in apps:
        with locks.unless_busy(app.pk) as free:
            if free:
                routes.apply(app)


def reconcile() -> dict[str, list[str]]:
    """One pass over every deployed app; returns the repairs by app name.

    Passes never overlap: a pass still running when beat sends the next one
    makes that one a no-op.
    """
    guard = locks.connection().lock(
        f"berth:{naming.namespace()}:reconcile", timeout=600, blocking=False
    )
    if not guard.acquire(blocking=False):
        return {}
    try:
        return _reconcile()
    finally:
        try:
            guard.release()
        except Exception:
            log.debug("reconcile lock already expired")


def _reconcile() -> dict[str, list[str]]:
    apps = App.objects.filter(deleting_at__isnull=True, current_deployment__isnull=False)
    apps = apps.select_related("current_deployment", "team")
    if not apps.exists():
        return {}
    network_id = engine.network_id(naming.apps_network())
    services = app_services()
    addresses = routes.addresses_by_service()
    repairs: dict[str, list[str]] = {}
    for app in apps.iterator(chunk_size=200):
        service = services.get(naming.app_service(app.name))
        try:
            found = addresses.get(service["ID"], ()) if service and addresses is not None else None
            repaired = repair_app(app, service, network_id, found)
        except EngineError as exc:
            log.warning("reconcile of %s: %s", app.name, exc)
            continue
        if repaired:
            repairs[app.name] = repaired
    for app_id in App.objects.filter(deleting_at__isnull=False).values_list("pk", flat=True):
        delete_app(app_id, wait=5)
    return repairs


def reap() -> dict[str, int]:
    """Fail deployments whose worker stopped beating; restart queued ones left behind."""
    from apps.tasks import run_deployment as run_deployment_task

    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.BERTH_DEPLOY_STALE_SECONDS)
    failed = 0
    for deployment in Deployment.objects.filter(
        status__in=RUNNING, heartbeat_at__lt=stale_before
    ).select_related("app__team"):
        seen = timezone.localtime(deployment.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
        reason = (
            f"The worker running this deployment stopped responding (last heartbeat {seen}). "
            "Deploy again."
        )
        with transaction.atomic():
            done = Deployment.objects.filter(
                pk=deployment.pk, status__in=RUNNING, heartbeat_at__lt=stale_before
            ).update(status=Status.FAILED, reason=reason, finished_at=now)
            if done:
                failed += 1
                audit.record(
                    None,
                    "deployment.reaped",
                    team=deployment.app.team,
                    target=deployment,
                    data={"number": deployment.number},
                )
        builds.remove_build_dir(deployment.build_dir)
    restarted = 0
    waiting = Deployment.objects.filter(status=Status.QUEUED, created_at__lt=now - QUEUED_GRACE)
    for app_id in set(waiting.values_list("app_id", flat=True)):
        if locks.is_locked(app_id):
            continue
        first = waiting.filter(app_id=app_id).order_by("number").values_list("pk", flat=True)
        run_deployment_task.delay(first[0])
        restarted += 1
    return {"failed": failed, "restarted": restarted}


def delete_app(app_id: int, *, wait: float = 120) -> bool:
    """Remove an app marked for deletion from the engine, then its row; False to retry later."""
    app = App.objects.filter(pk=app_id, deleting_at__isnull=False).first()
    if app is None:
        return True
    lock = locks.app_lock(app_id)
    # A running deployment was asked to cancel; give it time to notice.
    if not lock.acquire(blocking=True, blocking_timeout=wait):
        return False
    try:
        routes.remove(app.name)
        left = converge.remove_everything(app.name)
        if left:
            log.warning("deleting %s: %s still in use; retrying later", app.name, ", ".join(left))
            return False
        for build_dir in app.deployments.exclude(build_dir="").values_list("build_dir", flat=True):
            builds.remove_build_dir(build_dir)
        app.delete()
        return True
    except EngineError as exc:
        log.warning("deleting %s: %s", app.name, exc)
        return False
    finally:
        try:
            lock.release()
        except Exception:
            log.debug("lock of app %s already gone", app_id)
