"""Judging a rollout from what swarm reports: a pure function of the service and its tasks.

The deploy task polls the engine and calls :func:`assess` until it says the
new version is healthy or has failed. A task counts as new when it carries the
template digest of the spec just applied; swarm marks a task ``running`` only
once its container's health check passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from apps.spec import TEMPLATE_LABEL

WAITING = "waiting"
HEALTHY = "healthy"
FAILED = "failed"
ROLLED_BACK = "rolled_back"

FAILED_STATES = {"failed", "rejected", "orphaned"}
MISSING_IMAGE = ("No such image", "manifest unknown", "pull access denied")


@dataclass(frozen=True)
class Progress:
    state: str
    detail: str = ""
    reason: str = ""
    # New tasks running (and, with a health check, healthy): they are in Docker's DNS.
    running: int = 0

    @property
    def done(self) -> bool:
        return self.state != WAITING


def _template(task: dict[str, Any]) -> str:
    labels = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Labels") or {}
    return str(labels.get(TEMPLATE_LABEL, ""))


def task_error(task: dict[str, Any]) -> str:
    status = task.get("Status") or {}
    return str(status.get("Err") or status.get("Message") or status.get("State") or "")


def explain(error: str, *, health_path: str = "", port: int = 0) -> str:
    """A task error in words a user can act on."""
    if any(marker in error for marker in MISSING_IMAGE):
        return f"The image could not be found: {error}"
    if "unhealthy" in error.lower():
        where = f" (GET {health_path} on port {port})" if health_path else ""
        return f"The new version failed its health check{where}: {error}"
    if "non-zero exit" in error:
        return f"The new version's container exited: {error}"
    return f"The new version did not start: {error}"


def assess(
    *,
    service: dict[str, Any],
    tasks: Iterable[dict[str, Any]],
    template: str,
    replicas: int,
    known_task_ids: frozenset[str] = frozenset(),
    stale_update: dict[str, Any] | None = None,
    max_failures: int = 3,
    health_path: str = "",
    port: int = 0,
) -> Progress:
    """Where the rollout of ``template`` to ``replicas`` tasks stands.

    ``known_task_ids`` are tasks that existed before the spec was applied (their
    failures belong to an earlier attempt); ``stale_update`` is the service's
    UpdateStatus from before, so a status left by an earlier update is ignored.
    """
    all_tasks = list(tasks)
    update = service.get("UpdateStatus") or None
    if update is not None and stale_update is not None and update == stale_update:
        update = None
    update_state = (update or {}).get("State")
    new = [t for t in all_tasks if _template(t) == template]
    running = [t for t in new if (t.get("Status") or {}).get("State") == "running"]
    running = [t for t in running if t.get("DesiredState") == "running"]
    failed = [
        t
        for t in new
        if t.get("ID") not in known_task_ids
        and ((t.get("Status") or {}).get("State") in FAILED_STATES)
    ]
    failed.sort(key=lambda t: str((t.get("Status") or {}).get("Timestamp", "")), reverse=True)
    old_alive = [
        t for t in all_tasks if _template(t) != template and t.get("DesiredState") == "running"
    ]
    serving = len(running)
    detail = f"{serving}/{replicas} new tasks running"
    last_error = task_error(failed[0]) if failed else ""
    reason = explain(last_error, health_path=health_path, port=port) if last_error else ""

    if update_state in ("rollback_started", "rollback_completed", "rollback_paused"):
        message = str((update or {}).get("Message") or "")
        return Progress(ROLLED_BACK, detail, reason or f"Swarm rolled the update back: {message}")
    if update_state == "paused":
        message = str((update or {}).get("Message") or "")
        return Progress(FAILED, detail, reason or f"Swarm paused the update: {message}")
    if any(marker in last_error for marker in MISSING_IMAGE):
        return Progress(FAILED, detail, reason)
    if len(failed) >= max_failures:
        return Progress(FAILED, detail, reason)
    if replicas == 0:
        alive = [t for t in all_tasks if (t.get("Status") or {}).get("State") == "running"]
        if not alive and not old_alive:
            return Progress(HEALTHY, "stopped (0 instances)")
        return Progress(WAITING, f"stopping {len(alive)} tasks")
    if serving >= replicas and not old_alive and update_state in (None, "completed"):
        return Progress(HEALTHY, detail, running=serving)
    if serving >= replicas and update_state == "updating":
        return Progress(WAITING, f"{detail}; swarm is watching them", running=serving)
    return Progress(WAITING, detail, running=serving)
