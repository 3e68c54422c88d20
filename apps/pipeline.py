"""Running one deployment in the worker: claim, build, apply, wait until healthy or revert.

Work on one app is serialised by a Redis lock; a worker that cannot take it
leaves the deployment queued, and whoever holds the lock starts the next queued
deployment of the app when it finishes (the reaper re-kicks any left behind).
The deployment is claimed with a conditional update, so it runs once.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.exceptions import LockError

from apps import builds, converge, engine, locks, routes
from apps.compose import progress as stack_progress
from apps.deploylog import DeployLog, Heartbeat
from apps.desired import snapshot
from apps.engine import BuildFailed
from apps.git import fetch as git_fetch
from apps.models import RUNNING, App, Deployment, Source, Status
from apps.rollout import FAILED, HEALTHY, ROLLED_BACK, Progress, assess
from apps.spec import template_label
from apps.volumes import services as volume_services
from apps.volumes.selectors import MountRefused
from nodes import images as node_images
from paas import audit, crypto, naming
from paas.transport import EngineError

log = logging.getLogger(__name__)
# Polled every POLL_START for the first FAST_SECONDS (a new task usually runs within
# a second, and the gateway is told at once), then less and less often.
POLL_START = 0.1
FAST_SECONDS = 3.0
POLL_MAX = 0.5
# How long a rollback waits for the restored version to run before it routes it.
RESTORE_WAIT = 30.0


class Cancelled(Exception):
    pass


class NothingToDo(Exception):
    pass


class DeployFailed(Exception):
    """The deployment cannot go on; the message is its reason."""


def worker_name() -> str:
    return f"{socket.gethostname()}"


def run(deployment_id: int) -> None:
    """Entry point of the Celery task."""
    deployment = Deployment.objects.filter(pk=deployment_id).only("app_id", "status").first()
    if deployment is None or deployment.status != Status.QUEUED:
        return
    lock = locks.app_lock(deployment.app_id)
    if not lock.acquire(blocking=False):
        return  # the holder starts the next queued deployment when it is done
    try:
        now = timezone.now()
        claimed = Deployment.objects.filter(pk=deployment_id, status=Status.QUEUED).update(
            status=Status.DEPLOYING, started_at=now, heartbeat_at=now, worker=worker_name()
        )
        if claimed == 1:
            Pipeline(deployment_id, lock).run()
    finally:
        try:
            lock.release()
        except LockError:
            log.warning(
                "lock of app %s expired during deployment %s", deployment.app_id, deployment_id
            )
        start_next(deployment.app_id)
        # A stack rolls its next services out once this one is done.
        stack_progress.deployment_finished(deployment.app_id)


def start_next(app_id: int) -> None:
    from apps.tasks import run_deployment as run_deployment_task

    following = (
        Deployment.objects.filter(app_id=app_id, status=Status.QUEUED)
        .order_by("number")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        run_deployment_task.delay(following)


class Pipeline:
    def __init__(self, deployment_id: int, lock: Any) -> None:
        self.deployment = Deployment.objects.select_related("app", "app__current_deployment").get(
            pk=deployment_id
        )
        self.app: App = self.deployment.app
        self.log = DeployLog(
            deployment_id,
            limit=settings.BERTH_DEPLOY_LOG_LIMIT,
            initial_size=len(self.deployment.log),
        )
        self.heartbeat = Heartbeat(deployment_id, lock.reacquire)
        self.touched = False
        self.service = naming.app_service(self.app.name)

    # --- state --------------------------------------------------------------------

    def set(self, **fields: Any) -> bool:
        updated = Deployment.objects.filter(pk=self.deployment.pk, status__in=RUNNING).update(
            heartbeat_at=timezone.now(), **fields
        )
        for key, value in fields.items():
            setattr(self.deployment, key, value)
        return updated == 1

    def finish(self, status: str, reason: str = "") -> None:
        self.log.line(f"{Status(status).label}{': ' + reason if reason else ''}")
        self.log.flush()
        with transaction.atomic():
            if self.set(status=status, reason=reason[:4000], finished_at=timezone.now()):
                audit.record(
                    None,
                    f"deployment.{status}",
                    team=self.app.team,
                    target=self.deployment,
                    data={"number": self.deployment.number, "reason": reason[:500]},
                )

    def check_cancel(self) -> None:
        if self.heartbeat.cancelled.is_set():
            raise Cancelled
        if Deployment.objects.filter(pk=self.deployment.pk, cancel_requested=True).exists():
            raise Cancelled

    # --- the run ------------------------------------------------------------------

    def run(self) -> None:
        self.heartbeat.start()
        try:
            self.steps()
        except Cancelled:
            self.revert("cancelled")
        except NothingToDo as exc:
            self.finish(Status.CANCELLED, str(exc))
        except (DeployFailed, BuildFailed, crypto.SecretUnreadable, MountRefused) as exc:
            self.revert("failed", str(exc))
        except EngineError as exc:
            self.revert("failed", f"Docker engine: {exc}")
        except SoftTimeLimitExceeded:
            self.revert(
                "failed",
                "The deployment ran past the worker's time limit (BERTH_TASK_SOFT_TIME_LIMIT).",
            )
        except Exception as exc:
            log.exception("deployment %s failed", self.deployment.pk)
            self.revert("failed", f"Internal error ({type(exc).__name__}): {exc}")
        finally:
            self.heartbeat.stop()
            self.log.flush()
            builds.remove_build_dir(self.deployment.build_dir)

    def steps(self) -> None:
        deployment = self.deployment
        image = deployment.image
        if deployment.source == Source.CONFIG and not image:
            image = self.app.current_image
            if not image:
                raise NothingToDo("Nothing runs yet; the settings apply with the next deployment.")
        if deployment.source == Source.GIT and not deployment.build_dir:
            self.set(status=Status.BUILDING)
            self.set(
                **git_fetch.for_deployment(deployment, log=self.log.line, check=self.check_cancel)
            )
        if deployment.build_dir:
            image = self.build()
        self.check_cancel()
        self.set(status=Status.DEPLOYING)
        self.ensure_image(image)
        # Every node that may run the app gets the image; with a registry it is pushed
        # there and the service refers to the registry's name.
        try:
            image = node_images.deliver(
                image, placement=dict(self.app.placement or {}), log=self.log.line
            )
        except node_images.DeliveryFailed as exc:
            raise DeployFailed(str(exc)) from None
        secrets = list(self.app.secrets.order_by("name"))
        config = snapshot(self.app, secrets)
        self.set(config=config, image=image)
        spec = converge.spec_for(
            self.app.name, image=image, config=config, number=deployment.number
        )
        self.check_cancel()
        progress = self.apply_and_wait(spec, config)
        if progress.state == HEALTHY:
            self.succeed(spec)
            return
        if progress.state == ROLLED_BACK:
            self.log.line("Swarm rolled the update back; the previous version keeps serving.")
        self.revert("failed", progress.reason)

    def build(self) -> str:
        deployment = self.deployment
        self.set(status=Status.BUILDING)
        root = Path(deployment.build_dir)
        definition, plan = builds.plan_folder(root)
        if plan is None:
            assert definition is not None
            self.log.line(f"captain-definition names the image {definition.image}")
            return definition.image
        tag = builds.image_tag(self.app.name, deployment.number, deployment.pk)
        self.log.line(f"Building {tag} from {plan.dockerfile}")

        def output(text: str) -> None:
            self.log.write(text)
            if self.heartbeat.cancelled.is_set():
                raise Cancelled

        try:
            engine.build(
                plan.context,
                dockerfile=plan.dockerfile,
                tag=tag,
                labels=builds.image_labels(self.app.name, deployment.pk),
                on_output=output,
            )
        except (BuildFailed, EngineError) as exc:
            raise BuildFailed(f"The build failed: {exc}") from None
        self.set(image=tag, built=True)
        # The image holds what the source was for: its disk space goes back now, not
        # once the rollout has ended.
        builds.remove_build_dir(deployment.build_dir)
        self.log.line(f"Built {tag}")
        return tag

    def ensure_image(self, image: str) -> None:
        if not image:
            raise DeployFailed("There is no image to deploy.")
        if engine.image_exists(image):
            return
        if not settings.BERTH_PULL_IMAGES:
            raise DeployFailed(
                f"The image {image!r} is not on the engine, and pulling is off (BERTH_PULL_IMAGES)."
            )
        self.log.line(f"Pulling {image}")
        try:
            engine.pull(image, self.log.write)
        except EngineError as exc:
            raise DeployFailed(
                f"No such image: {image!r} is not on the engine and could not be pulled ({exc})."
            ) from None

    def apply_and_wait(self, spec: dict[str, Any], config: dict[str, Any]) -> Progress:
        before = engine.get_service(self.service)
        known = frozenset(t["ID"] for t in engine.tasks(self.service)) if before else frozenset()
        stale = (before or {}).get("UpdateStatus")
        self.log.line(
            f"{'Updating' if before else 'Creating'} service {self.service}: "
            f"{spec['Mode']['Replicated']['Replicas']} instance(s) of {spec['TaskTemplate']['ContainerSpec']['Image']}"
        )
        self.touched = True
        engine.apply_service(spec)
        return self.wait(
            spec,
            known=known,
            stale=stale,
            health_path=str(config.get("health_check_path") or ""),
            port=int(config.get("container_port") or 0),
        )

    def wait(
        self,
        spec: dict[str, Any],
        *,
        known: frozenset[str],
        stale: dict[str, Any] | None,
        health_path: str = "",
        port: int = 0,
    ) -> Progress:
        started = time.monotonic()
        deadline = started + settings.BERTH_DEPLOY_TIMEOUT
        delay = POLL_START
        shown = ""
        told_gateway = False
        replicas = spec["Mode"]["Replicated"]["Replicas"]
        while True:
            self.check_cancel()
            service = engine.get_service(self.service)
            if service is None:
                return Progress(FAILED, reason="The service was removed during the deployment.")
            progress = assess(
                service=service,
                tasks=engine.tasks(self.service),
                template=template_label(spec),
                replicas=replicas,
                known_task_ids=known,
                stale_update=stale,
                health_path=health_path,
                port=port,
            )
            if progress.detail != shown:
                self.log.line(progress.detail)
                shown = progress.detail
            if not told_gateway and progress.running >= replicas > 0:
                # Swarm stops the old tasks only after this.
                told_gateway = True
                routes.refresh(self.app, self.deployment.config)
            if progress.done:
                return progress
            if time.monotonic() > deadline:
                return Progress(
                    FAILED,
                    progress.detail,
                    f"The new version was not healthy within {settings.BERTH_DEPLOY_TIMEOUT} s "
                    f"({progress.detail}).",
                )
            time.sleep(delay)
            if time.monotonic() - started > FAST_SECONDS:
                delay = min(delay * 1.5, POLL_MAX)

    # --- endings ------------------------------------------------------------------

    def succeed(self, spec: dict[str, Any]) -> None:
        """Make it the app's current version, route it, then say healthy (the URL answers)."""
        deployment = self.deployment
        replicas = spec["Mode"]["Replicated"]["Replicas"]
        self.log.line(f"{replicas} instance(s) running and healthy")
        App.objects.filter(pk=self.app.pk).update(
            current_deployment=deployment, current_image=deployment.image
        )
        self.app.refresh_from_db()
        self.route()
        # Before "healthy": whoever reads it finds the volumes where they now live.
        self.place_volumes()
        self.log.line("Healthy")
        self.log.flush()
        with transaction.atomic():
            if not self.set(status=Status.HEALTHY, reason="", finished_at=timezone.now()):
                return  # the reaper gave up on it meanwhile
            audit.record(
                None,
                "deployment.healthy",
                team=self.app.team,
                target=deployment,
                data={"number": deployment.number, "image": deployment.image},
            )
        self.cleanup(spec)

    def place_volumes(self) -> None:
        """A local volume used for the first time stays on the node its task ran on."""
        try:
            placed = volume_services.record_nodes(
                app=self.app, tasks=lambda: engine.tasks(self.service)
            )
        except EngineError as exc:
            log.warning("placing the volumes of %s: %s", self.app.name, exc)
            return
        if placed:
            self.log.line(f"Volume(s) {', '.join(placed)} now live on this app's node")
            self.log.flush()

    def route(self) -> None:
        error = routes.apply(self.app)
        if error:
            self.log.line(f"The gateway refused the route: {error}")
        elif not self.app.internal:
            self.log.line(f"Routed {routes.primary_host(self.app)}")

    def cleanup(self, spec: dict[str, Any]) -> None:
        keep = {s["SecretName"] for s in spec["TaskTemplate"]["ContainerSpec"]["Secrets"]}
        try:
            converge.prune_secrets(self.app.name, keep)
            converge.prune_images(self.app.name, converge.images_to_keep(self.app.pk))
        except EngineError as exc:
            log.warning("cleanup after %s: %s", self.deployment, exc)

    def revert(self, status: str, reason: str = "") -> None:
        """Put the last healthy version back (if this run touched the service) and finish."""
        current = self.app.current_deployment
        if status == "cancelled":
            reason = "Cancelled" + (f"; version #{current.number} kept" if current else "")
        restored = False
        if self.touched:
            try:
                restored = self.restore(current)
            except EngineError as exc:
                reason += f" Restoring the previous version failed too: {exc}"
            # The gateway may have been given the new tasks (they ran, then failed):
            # back to the tasks that serve.
            routes.apply(self.app)
        if status == "cancelled":
            self.finish(Status.CANCELLED, reason)
        elif restored and current is not None:
            kept = f"Version #{current.number} keeps serving."
            self.finish(Status.ROLLED_BACK, f"{reason.rstrip('.')}. {kept}" if reason else kept)
        else:
            self.finish(Status.FAILED, reason)

    def restore(self, current: Deployment | None) -> bool:
        if current is None:
            self.log.line("No earlier version to keep: removing the service")
            engine.remove_service(self.service, wait=10)
            return False
        self.log.line(f"Restoring version #{current.number}")
        spec = converge.spec_of(current)
        engine.apply_service(spec)
        # Swarm stops the old tasks once the new ones run: a version that died after
        # that leaves version #N starting again. Route it when it runs.
        replicas = spec["Mode"]["Replicated"]["Replicas"]
        deadline = time.monotonic() + RESTORE_WAIT
        while time.monotonic() < deadline:
            service = engine.get_service(self.service)
            tasks = engine.tasks(self.service)
            if service is None or (
                assess(
                    service=service, tasks=tasks, template=template_label(spec), replicas=replicas
                ).running
                >= replicas
            ):
                return True
            time.sleep(POLL_MAX)
        self.log.line(f"Version #{current.number} did not run again within {RESTORE_WAIT:.0f} s")
        return True
