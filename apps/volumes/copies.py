"""Backup (a tar.gz download) and restore (from an upload) of a volume, and removing
its engine volume once its row is marked for deletion.

The copy runs in a helper container on the node holding the data (see
:mod:`apps.volumes.engine`), with the first image Berth already has there that
carries ``tar``: ``BERTH_VOLUME_HELPER_IMAGE`` if set, the images of the apps
using the volume or of the team's other apps, then the gateway's image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.models import ACTIVE, App
from apps.volumes import engine, selectors
from apps.volumes.engine import NoTools, Target
from apps.volumes.models import Volume
from apps.volumes.services import in_use_by, place_on
from nodes.access import engine_access
from nodes.models import Node
from paas import audit
from paas.access import Level, Principal
from paas.transport import EngineAccess, EngineError

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ARCHIVE_ENTRIES = 1_000_000


def target(volume: Volume) -> Target:
    return Target(
        engine_name=volume.engine_name,
        driver=volume.driver,
        options=dict(volume.driver_options),
        labels=selectors.engine_labels(volume),
    )


def location(volume: Volume) -> tuple[EngineAccess | None, str]:
    """The engine that holds the volume's data (None: Berth's own) and its node id."""
    local = engine.local_node_id()
    if not (volume.on_node and volume.node_id) or volume.node_id == local:
        return None, local
    node = Node.objects.filter(node_id=volume.node_id).first()
    access = engine_access(node) if node is not None else None
    if access is None:
        where = volume.node_hostname or volume.node_id[:12]
        raise ValidationError(
            f"The volume's data is on node {where}, whose engine Berth cannot reach: "
            "an operator gives the node's engine address on the nodes page."
        )
    return access, volume.node_id


def helper_images(volume: Volume) -> list[str]:
    users = App.objects.filter(mounts__volume=volume).exclude(current_image="")
    team_apps = App.objects.filter(team_id=volume.team_id).exclude(current_image="")
    candidates = [
        settings.BERTH_VOLUME_HELPER_IMAGE,
        *users.order_by("name").values_list("current_image", flat=True),
        *team_apps.order_by("-updated_at").values_list("current_image", flat=True)[:5],
        settings.BERTH_GATEWAY_IMAGE,
    ]
    return list(dict.fromkeys(image for image in candidates if image))


def _with_helper(api: Any, volume: Volume, work: Callable[[str], T]) -> T:
    """``work(image)`` with the first image present on the engine that has the tools."""
    wanted = helper_images(volume)
    present = [image for image in wanted if engine.image_present(api, image)]
    if not present:
        raise ValidationError(
            "Berth has no image on that node to copy the volume with (it looked for "
            f"{', '.join(wanted) or 'none'}): set BERTH_VOLUME_HELPER_IMAGE to an image with "
            "tar that is there, e.g. busybox."
        )
    problems = []
    for image in present:
        try:
            return work(image)
        except NoTools as exc:
            problems.append(str(exc))
    raise ValidationError(" ".join(problems))


def _audit(principal: Principal, action: str, volume: Volume, data: dict[str, Any]) -> None:
    with transaction.atomic():
        audit.record(principal, action, team=volume.team, target=volume, data=data)


def open_backup(*, volume: Volume, principal: Principal) -> Iterator[bytes]:
    """The volume's files as a tar.gz stream; the helper is already running when it returns."""
    principal.require(volume.team_id, Level.DEPLOY)
    access, node_id = location(volume)
    stack = ExitStack()
    try:
        api = stack.enter_context(engine.engine_of(access))
        stream = _with_helper(api, volume, lambda image: engine.backup(api, image, target(volume)))
    except BaseException:
        stack.close()
        raise
    place_on(volume, node_id)
    _audit(principal, "volume.backup", volume, {"node": node_id})

    def run() -> Iterator[bytes]:
        with stack:
            yield from stream

    return run()


def running_users(volume: Volume) -> list[str]:
    """Apps using the volume that have tasks, or may get some from a deployment under way."""
    names = in_use_by(volume)
    apps = App.objects.filter(name__in=names).select_related("current_deployment")
    busy = []
    for app in apps:
        current = app.current_deployment
        runs = current is not None and int((current.config or {}).get("instances", 0)) > 0
        if runs or app.deployments.filter(status__in=ACTIVE).exists():
            busy.append(app.name)
    return sorted(busy)


def restore(*, volume: Volume, principal: Principal, upload: IO[bytes]) -> int:
    """Replace the volume's files with those of a tar.gz; returns the archive's size."""
    principal.require(volume.team_id, Level.DEPLOY)
    busy = running_users(volume)
    if busy:
        raise ValidationError(
            {
                "archive": f"Scale {', '.join(busy)} to 0 first: restoring under a running app "
                "would mix old and new files."
            }
        )
    try:
        size = engine.check_archive(upload, max_members=MAX_ARCHIVE_ENTRIES)
    except ValueError as exc:
        raise ValidationError({"archive": f"This upload cannot be restored: {exc}."}) from None
    access, node_id = location(volume)
    with engine.engine_of(access) as api:
        _with_helper(
            api, volume, lambda image: engine.restore(api, image, target(volume), upload, size)
        )
    place_on(volume, node_id)
    _audit(principal, "volume.restore", volume, {"node": node_id, "bytes": size})
    return size


def _note(volume: Volume, text: str) -> None:
    Volume.objects.filter(pk=volume.pk).update(last_error=text[:2000], updated_at=timezone.now())


def remove(volume_id: int) -> bool:
    """Remove a volume marked for deletion from the engine, then its row; False: try later."""
    volume = (
        Volume.objects.filter(pk=volume_id, deleting_at__isnull=False)
        .select_related("team")
        .first()
    )
    if volume is None:
        return True
    users = in_use_by(volume)
    if users:
        _note(volume, f"Waiting for {', '.join(users)} to stop using it.")
        return False
    left = []
    try:
        local = engine.local_node_id()
        places: list[tuple[EngineAccess | None, str]] = [(None, local)]
        if volume.on_node and volume.node_id and volume.node_id != local:
            node = Node.objects.filter(node_id=volume.node_id).first()
            access = engine_access(node) if node is not None else None
            if access is None:
                left.append(volume.node_hostname or volume.node_id[:12])
            else:
                places.append((access, volume.node_id))
        for access, node_id in places:
            with engine.engine_of(access) as api:
                if not engine.remove_volume(api, volume.engine_name):
                    _note(volume, f"A container on node {node_id[:12]} still uses it.")
                    return False
    except EngineError as exc:
        _note(volume, f"Docker engine: {exc}")
        return False
    with transaction.atomic():
        audit.record(
            None,
            "volume.removed",
            team=volume.team,
            target=volume,
            data={"engine_name": volume.engine_name, "left_on_nodes": left},
        )
        volume.delete()
    if left:
        log.warning("volume %s left on unreachable nodes %s", volume.engine_name, left)
    return True


def sweep() -> dict[str, int]:
    """Retry the removal of every volume marked for deletion (the beat calls this)."""
    ids = list(Volume.objects.filter(deleting_at__isnull=False).values_list("pk", flat=True))
    removed = sum(1 for volume_id in ids if remove(volume_id))
    return {"removed": removed, "waiting": len(ids) - removed}
