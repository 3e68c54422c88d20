"""Reads of volumes and mounts, scoped to what a principal may see.

Every view and endpoint gets its volume through :func:`get_volume` (404 for
outsiders, 403 below the level).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from apps.volumes import spec, validation
from apps.volumes.models import LOCAL, Mount, Volume
from paas import naming
from paas.access import Level, Principal, get_for_principal, visible

VOLUME_LABEL = "berth.volume"
TEAM_LABEL = "berth.team"


def live_volumes() -> QuerySet[Volume]:
    return Volume.objects.filter(deleting_at__isnull=True)


def with_mounts(queryset: QuerySet[Volume]) -> QuerySet[Volume]:
    mounts = Mount.objects.select_related("app").filter(app__deleting_at__isnull=True)
    return queryset.prefetch_related(Prefetch("mounts", queryset=mounts.order_by("app__name")))


def volumes_for(principal: Principal, *, team_id: int | None = None) -> QuerySet[Volume]:
    queryset = visible(principal, Volume.objects.all()).select_related("team")
    if team_id is not None:
        queryset = queryset.filter(team_id=team_id)
    return with_mounts(queryset).order_by("name")


def get_volume(
    principal: Principal, name: str, level: Level = Level.READ, *, team_slug: str | None = None
) -> Volume:
    """The volume ``name`` of one of the principal's teams.

    Names are unique per team: a person in several teams who has two volumes of
    that name gives ``team_slug``.
    """
    queryset = visible(principal, live_volumes()).filter(name=name)
    if team_slug:
        queryset = queryset.filter(team__slug=team_slug)
    ids = list(queryset.values_list("pk", flat=True)[:2])
    if not ids:
        raise Http404
    if len(ids) > 1:
        raise ValidationError(
            {"team": f"Several of your teams have a volume named {name!r}: give ?team=<slug>."}
        )
    return get_for_principal(
        principal, with_mounts(Volume.objects.select_related("team")), level, pk=ids[0]
    )


def team_volume(team_id: int, name: str) -> Volume | None:
    return live_volumes().filter(team_id=team_id, name=name).first()


def mounts_of(app_id: int) -> QuerySet[Mount]:
    return Mount.objects.filter(app_id=app_id).select_related("volume").order_by("path")


class MountRefused(Exception):
    """A mount the policy no longer allows (the team lost its trust); the deployment stops."""


def users_of(volume: Volume) -> list[str]:
    """Names of the apps that mount the volume (apps being deleted count until they are gone)."""
    return sorted(set(Mount.objects.filter(volume=volume).values_list("app__name", flat=True)))


def engine_labels(volume: Volume) -> dict[str, str]:
    return {
        **volume.labels,
        **naming.labels("volume", **{VOLUME_LABEL: volume.name, TEAM_LABEL: str(volume.team_id)}),
    }


def mount_entries(app_id: int) -> list[dict[str, Any]]:
    """The app's mounts as a deployment's settings record them (see apps.volumes.spec)."""
    entries = []
    for mount in mounts_of(app_id).select_related("app__team"):
        volume = mount.volume
        _recheck(mount)
        if volume is None:
            entries.append(
                spec.entry(path=mount.path, read_only=mount.read_only, host_path=mount.host_path)
            )
            continue
        entries.append(
            spec.entry(
                path=mount.path,
                read_only=mount.read_only,
                volume=volume.name,
                engine_name=volume.engine_name,
                driver=volume.driver,
                options=volume.driver_options,
                labels=engine_labels(volume),
                on_node=volume.on_node,
                node_id=volume.node_id,
            )
        )
    return entries


def _recheck(mount: Mount) -> None:
    """Host access is judged again at each deployment: trust can be taken away."""
    trusted = mount.app.team.trusted
    try:
        if mount.volume is None:
            validation.clean_host_path(mount.host_path, trusted=trusted)
        elif mount.volume.driver == LOCAL:
            validation.check_local_options(mount.volume.driver_options, trusted=trusted)
    except ValidationError as exc:
        raise MountRefused(
            f"The mount at {mount.path} is not allowed any more: {' '.join(exc.messages)} "
            "Detach it to deploy."
        ) from None
