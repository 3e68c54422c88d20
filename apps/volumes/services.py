"""The only writers of volumes and mounts.

Each function checks the principal's level, validates, writes the rows and an
audit event in one transaction, and leaves engine work to a task or to the
deployment it requests: attaching or detaching on an app that runs is a new
deployment of the same image (health-gated like any other), so what runs
always matches a numbered deployment.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps import deploy
from apps.models import App, Deployment
from apps.services import has_run
from apps.volumes import selectors, validation
from apps.volumes.models import Mount, NodeSource, Volume
from nodes.models import Node
from paas import audit, naming
from paas.access import Level, Principal
from paas.models import Team


class VolumeInUse(ValidationError):
    """The volume is mounted by apps (named in the message); it cannot be deleted."""

    def __init__(self, volume: str, apps: list[str]) -> None:
        self.apps = apps
        super().__init__(
            f"The volume {volume} is in use by {', '.join(apps)}: detach it from "
            f"{'that app' if len(apps) == 1 else 'those apps'} first."
        )


def _engine_name(team: Team, name: str) -> str:
    # The team's id, not its slug (a renamed team keeps its data); the suffix keeps
    # a leftover engine volume of a deleted row from coming back under a new one.
    return naming.namespaced("vol", f"t{team.pk}", name, secrets.token_hex(3))


def resolve_node(text: object) -> Node:
    """A node by id, id prefix (6+ characters) or hostname, among the nodes Berth knows."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"node": "Give a node's id or hostname."})
    text = text.strip()
    query = Q(node_id=text) | Q(hostname=text)
    if len(text) >= 6:
        query |= Q(node_id__startswith=text)
    found = list(Node.objects.filter(query)[:2])
    if not found:
        raise ValidationError({"node": f"No node {text!r} is known: see the nodes page."})
    if len(found) > 1:
        raise ValidationError({"node": f"Several nodes match {text!r}: give the node's id."})
    return found[0]


def _loggable(volume: Volume) -> dict[str, Any]:
    return {
        "driver": volume.driver,
        "driver_options": validation.masked_options(volume.driver_options),
        "labels": volume.labels,
        "node": volume.node_id,
    }


@transaction.atomic
def create_volume(
    *,
    team: Team,
    principal: Principal,
    name: object,
    driver: object = None,
    driver_options: object = None,
    labels: object = None,
    node: object = None,
) -> Volume:
    principal.require(team, Level.DEPLOY)
    clean_name = validation.clean_name(name)
    clean_driver = validation.clean_driver(driver)
    options = validation.clean_driver_options(clean_driver, driver_options, trusted=team.trusted)
    clean_labels = validation.clean_labels(labels)
    existing = Volume.objects.filter(team=team, name=clean_name).first()
    if existing is not None:
        taken = "is being deleted; try again in a moment" if existing.deleting_at else "exists"
        raise ValidationError({"name": f"A volume named {clean_name!r} {taken}."})
    volume = Volume(
        team=team,
        name=clean_name,
        driver=clean_driver,
        driver_options=options,
        labels=clean_labels,
        engine_name=_engine_name(team, clean_name),
        created_by=principal.label[:150],
    )
    if node not in (None, ""):
        if not volume.on_node:
            raise ValidationError(
                {"node": "Only a volume kept on a node's disk (the local driver) has a node."}
            )
        chosen = resolve_node(node)
        volume.node_id, volume.node_hostname = chosen.node_id, chosen.hostname
        volume.node_source = NodeSource.CHOSEN
    volume.save()
    audit.record(principal, "volume.create", team=team, target=volume, data=_loggable(volume))
    return volume


def in_use_by(volume: Volume) -> list[str]:
    """Apps that mount the volume, or still run a version that does (until the next one is live)."""
    users = set(selectors.users_of(volume))
    running = Deployment.objects.filter(
        app__team_id=volume.team_id, app__current_deployment=F("pk")
    ).values_list("app__name", "config")
    for app_name, config in running:
        if any(m.get("source") == volume.engine_name for m in (config or {}).get("mounts", [])):
            users.add(app_name)
    return sorted(users)


def _mark_deleting(volume: Volume, principal: Principal, data: dict[str, Any]) -> None:
    from apps.volumes.tasks import delete_volume as delete_volume_task

    volume.deleting_at = timezone.now()
    volume.save(update_fields=["deleting_at"])
    audit.record(principal, "volume.delete", team=volume.team, target=volume, data=data)
    volume_id = volume.pk
    transaction.on_commit(lambda: delete_volume_task.delay(volume_id))


@transaction.atomic
def delete_volume(*, volume: Volume, principal: Principal) -> None:
    """Delete the volume and its data; refused while an app uses it."""
    principal.require(volume.team_id, Level.ADMIN)
    volume = Volume.objects.select_for_update().select_related("team").get(pk=volume.pk)
    if volume.deleting_at is not None:
        return
    users = in_use_by(volume)
    if users:
        raise VolumeInUse(volume.name, users)
    _mark_deleting(volume, principal, {"engine_name": volume.engine_name})


def delete_with_app(
    *, app: App, principal: Principal, together: Collection[str] = ()
) -> tuple[list[str], list[str]]:
    """Mark for deletion the volumes ``app`` mounts that no other app uses.

    ``together`` names apps deleted at the same time (a compose stack's): their
    use does not keep a volume.

    Called by ``apps.services.delete_app`` in its transaction; the removal
    waits until the app's tasks are gone. Returns (deleted, kept) names.
    """
    deleted: list[str] = []
    kept: list[str] = []
    ids = Mount.objects.filter(app=app, volume__isnull=False).values_list("volume_id", flat=True)
    for volume in (
        Volume.objects.select_for_update().filter(pk__in=list(ids)).select_related("team")
    ):
        if volume.deleting_at is not None:
            continue
        others = [name for name in in_use_by(volume) if name != app.name and name not in together]
        if others:
            kept.append(volume.name)
            continue
        _mark_deleting(volume, principal, {"engine_name": volume.engine_name, "app": app.name})
        deleted.append(volume.name)
    return deleted, kept


def _lock_app(app: App) -> App:
    locked = App.objects.select_for_update().select_related("team").get(pk=app.pk)
    if locked.deleting_at is not None:
        raise ValidationError("This app is being deleted.")
    return locked


def _node_conflict(app: App, volume: Volume) -> str:
    """Why ``volume`` cannot join the app's other volumes (they live on other nodes)."""
    if not (volume.on_node and volume.node_id):
        return ""
    for other in Volume.objects.filter(mounts__app=app).exclude(pk=volume.pk):
        if other.on_node and other.node_id and other.node_id != volume.node_id:
            return (
                f"{volume.name} lives on node {volume.node_hostname or volume.node_id[:12]} and "
                f"{other.name} on {other.node_hostname or other.node_id[:12]}: one app cannot "
                "run on both."
            )
    return ""


def _summary(verb: str, source: str, path: str, read_only: bool) -> str:
    return f"{verb} {source} at {path}{' (read-only)' if read_only else ''}"


@transaction.atomic
def attach(
    *,
    app: App,
    principal: Principal,
    path: object,
    volume: object = None,
    host_path: object = None,
    read_only: object = False,
) -> tuple[Mount, Deployment | None]:
    """Mount a volume of the app's team (or, for a trusted team, a host path) at ``path``."""
    principal.require(app.team_id, Level.DEPLOY)
    app = _lock_app(app)
    clean_path = validation.clean_path(path)
    clean_ro = validation.clean_read_only(read_only)
    if bool(volume) == bool(host_path):
        raise ValidationError(
            {"volume": "Give a volume to mount (or, for a trusted team, a host path)."}
        )
    mount = Mount(app=app, path=clean_path, read_only=clean_ro, created_by=principal.label[:150])
    if volume:
        row = (
            Volume.objects.select_for_update().filter(team_id=app.team_id, name=volume).first()
            if isinstance(volume, str)
            else None
        )
        if row is None:
            raise ValidationError({"volume": f"This team has no volume named {volume!r}."})
        if row.deleting_at is not None:
            raise ValidationError({"volume": f"The volume {row.name} is being deleted."})
        conflict = _node_conflict(app, row)
        if conflict:
            raise ValidationError({"volume": conflict})
        mount.volume = row
        source = f"volume {row.name}"
    else:
        mount.host_path = validation.clean_host_path(host_path, trusted=app.team.trusted)
        source = f"host path {mount.host_path}"
    taken = Mount.objects.filter(app=app, path=clean_path).select_related("volume").first()
    if taken is not None:
        raise ValidationError({"path": f"{taken} is already mounted there: detach it first."})
    mount.save()
    audit.record(
        principal,
        "mount.attach",
        team=app.team,
        target=app,
        data={
            "volume": mount.volume.name if mount.volume else "",
            "host_path": mount.host_path,
            "path": clean_path,
            "read_only": clean_ro,
        },
    )
    deployment = None
    if has_run(app):
        deployment = deploy.request_settings_change(
            app=app, principal=principal, summary=_summary("Mount", source, clean_path, clean_ro)
        )
    return mount, deployment


@transaction.atomic
def detach(*, mount: Mount, principal: Principal) -> Deployment | None:
    """Unmount; the volume and its data stay."""
    principal.require(mount.app.team_id, Level.DEPLOY)
    app = _lock_app(mount.app)
    mount = Mount.objects.select_related("volume").get(pk=mount.pk, app=app)
    source = f"volume {mount.volume.name}" if mount.volume else f"host path {mount.host_path}"
    data = {
        "volume": mount.volume.name if mount.volume else "",
        "host_path": mount.host_path,
        "path": mount.path,
    }
    mount.delete()
    audit.record(principal, "mount.detach", team=app.team, target=app, data=data)
    if has_run(app):
        return deploy.request_settings_change(
            app=app, principal=principal, summary=_summary("Unmount", source, data["path"], False)
        )
    return None


def record_nodes(*, app: App, tasks: Callable[[], list[dict[str, Any]]]) -> list[str]:
    """After a healthy deployment: a local volume not placed yet stays where its first task ran.

    Returns the names of the volumes placed. When the tasks were spread over
    several nodes (each then made its own copy), a settings deployment gathers
    them on the chosen node.
    """
    pending = [
        v
        for v in Volume.objects.filter(mounts__app=app, node_id="", deleting_at__isnull=True)
        if v.on_node
    ]
    if not pending:
        return []  # the common case: no engine call
    running = [
        t
        for t in tasks()
        if t.get("DesiredState") == "running"
        and (t.get("Status") or {}).get("State") == "running"
        and t.get("NodeID")
    ]
    if not running:
        return []
    running.sort(key=lambda t: str(t.get("CreatedAt", "")))
    node_id = str(running[0]["NodeID"])
    hostname = Node.objects.filter(node_id=node_id).values_list("hostname", flat=True).first()
    placed = []
    with transaction.atomic():
        for volume in pending:
            updated = Volume.objects.filter(pk=volume.pk, node_id="").update(
                node_id=node_id,
                node_hostname=hostname or "",
                node_source=NodeSource.FIRST_USE,
                updated_at=timezone.now(),
            )
            if updated:
                placed.append(volume.name)
                audit.record(
                    None,
                    "volume.placed",
                    team=app.team,
                    target=volume,
                    data={"node": node_id, "app": app.name},
                )
        if placed and {str(t["NodeID"]) for t in running} != {node_id}:
            deploy.request_settings_change(
                app=app,
                principal=Principal(),
                summary=f"Gather on node {hostname or node_id[:12]}, where {', '.join(placed)} lives",
            )
    return placed


def place_on(volume: Volume, node_id: str) -> None:
    """A helper container used the volume on ``node_id`` first: it stays there."""
    if not volume.on_node or volume.node_id or not node_id:
        return
    hostname = Node.objects.filter(node_id=node_id).values_list("hostname", flat=True).first()
    Volume.objects.filter(pk=volume.pk, node_id="").update(
        node_id=node_id,
        node_hostname=hostname or "",
        node_source=NodeSource.FIRST_USE,
        updated_at=timezone.now(),
    )
    volume.refresh_from_db()
