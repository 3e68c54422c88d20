"""Portal pages: the team's volumes (list, detail, backup, restore, delete) and an app's
Volumes tab (attach, detach).

Every view gets its volume through :func:`apps.volumes.selectors.get_volume`
and its app through ``apps.views.common.team_app`` (404 for another team's,
403 below the level), and writes through apps.volumes.services.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from apps.views.common import render_app, team_app
from apps.volumes import copies, selectors, services
from apps.volumes.forms import MountForm, RestoreForm, VolumeCreateForm
from apps.volumes.models import Mount, Volume
from apps.volumes.validation import masked_options
from paas.access import Level
from paas.portal import TeamRequest, apply_errors, posted, render_team, team_view
from paas.transport import EngineError


def _volume(request: TeamRequest, name: str, level: Level = Level.READ) -> Volume:
    return selectors.get_volume(request.principal, name, level, team_slug=request.team.slug)


def _detail(request: TeamRequest, name: str) -> HttpResponse:
    return redirect("volume-detail", slug=request.team.slug, name=name)


@team_view(read=Level.READ, write=Level.DEPLOY)
def volume_list(request: TeamRequest) -> HttpResponse:
    form = VolumeCreateForm(posted(request), initial={"driver": "local"})
    if request.method == "POST" and form.is_valid():
        try:
            volume = services.create_volume(
                team=request.team, principal=request.principal, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Created the volume {volume.name}. Mount it into an app.")
            return _detail(request, volume.name)
    context = {
        "form": form,
        "volumes": selectors.volumes_for(request.principal, team_id=request.team.pk),
        "can_deploy": request.level >= Level.DEPLOY,
        "extra_css": True,
    }
    return render_team(request, "volumes/list.html", context, status=400 if form.errors else 200)


@team_view(read=Level.READ, methods=("GET",))
def volume_detail(request: TeamRequest, name: str) -> HttpResponse:
    volume = _volume(request, name)
    context = {
        "volume": volume,
        "options": masked_options(volume.driver_options),
        "users": services.in_use_by(volume),
        "restore_form": RestoreForm(),
        "can_deploy": request.level >= Level.DEPLOY,
        "extra_css": True,
    }
    return render_team(request, "volumes/detail.html", context)


@team_view(read=Level.DEPLOY, methods=("GET",))
def volume_backup(request: TeamRequest, name: str) -> HttpResponse:
    volume = _volume(request, name, Level.DEPLOY)
    try:
        stream = copies.open_backup(volume=volume, principal=request.principal)
    except (ValidationError, EngineError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"The backup could not start: {text}")
        return _detail(request, volume.name)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(stream, content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{volume.name}-{stamp}.tar.gz"'
    response["X-Accel-Buffering"] = "no"
    # team_view types its views as HttpResponse; Django serves a streaming one the same way.
    return cast(HttpResponse, response)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def volume_restore(request: TeamRequest, name: str) -> HttpResponse:
    volume = _volume(request, name, Level.DEPLOY)
    form = RestoreForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a .tar.gz file to restore.")
        return _detail(request, volume.name)
    upload = form.cleaned_data["archive"]
    limit = settings.BERTH_VOLUME_UPLOAD_LIMIT_MB
    if upload.size > limit * 1024 * 1024:
        messages.error(request, f"The upload is larger than {limit} MB.")
        return _detail(request, volume.name)
    try:
        size = copies.restore(volume=volume, principal=request.principal, upload=upload)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except EngineError as exc:
        messages.error(request, f"The restore failed: {exc}")
    else:
        messages.success(request, f"Restored {volume.name} from {upload.name} ({size} bytes).")
    return _detail(request, volume.name)


@team_view(read=Level.READ, write=Level.ADMIN, methods=("POST",))
def volume_delete(request: TeamRequest, name: str) -> HttpResponse:
    volume = _volume(request, name, Level.ADMIN)
    if request.POST.get("confirm") != volume.name:
        messages.error(request, f"Type the volume's name ({volume.name}) to delete it.")
        return _detail(request, volume.name)
    try:
        services.delete_volume(volume=volume, principal=request.principal)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, volume.name)
    messages.success(request, f"Deleting {volume.name} and its data.")
    return redirect("volume-list", slug=request.team.slug)


@team_view(read=Level.READ, write=Level.DEPLOY)
def app_mounts(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    volumes = list(selectors.live_volumes().filter(team_id=app.team_id).order_by("name"))
    form = MountForm(posted(request), volumes=volumes, trusted=request.team.trusted)
    if request.method == "POST":
        app = team_app(request, name, Level.DEPLOY)
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
            try:
                _, deployment = services.attach(app=app, principal=request.principal, **values)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                rollout = f" Rolling out as deployment #{deployment.number}." if deployment else ""
                messages.success(request, f"Mounted at {form.cleaned_data['path']}.{rollout}")
                return redirect("app-mounts", slug=request.team.slug, name=app.name)
    mounts = list(selectors.mounts_of(app.pk))
    writers = [m.volume for m in mounts if m.volume and m.volume.on_node and not m.read_only]
    context = {
        "form": form,
        "mounts": mounts,
        "writers": writers,
        "pinned": sorted({(v.node_hostname or v.node_id[:12]) for v in writers if v.node_id}),
        "has_volumes": bool(volumes),
    }
    status = 400 if form.errors else 200
    return render_app(request, app, "volumes/mounts.html", context, tab="volumes", status=status)


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def app_mount_detach(request: TeamRequest, name: str, mount_id: int) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    mount = Mount.objects.filter(app=app, pk=mount_id).select_related("volume").first()
    if mount is not None:
        try:
            deployment = services.detach(mount=mount, principal=request.principal)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            rollout = f" Rolling out as deployment #{deployment.number}." if deployment else ""
            messages.success(request, f"Detached {mount}; its data stays in the volume.{rollout}")
    return redirect("app-mounts", slug=request.team.slug, name=app.name)
