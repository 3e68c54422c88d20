"""The operators' gateway page: the gateway's state, its routes and the swarm's nodes."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from nodes.models import Node
from routing import files, portal, state
from routing import render as renderer


@dataclass(frozen=True)
class LiveRoute:
    name: str
    hostnames: tuple[str, ...]


def live_routes() -> list[LiveRoute]:
    lay = files.layout()
    folder = lay.external_nginx if settings.BERTH_GATEWAY == "external" else lay.sites
    found = []
    for path in sorted(folder.glob("*.conf")) if folder.is_dir() else []:
        text = files.read(path) or ""
        name = renderer.site_route_name(text) or path.stem
        found.append(LiveRoute(name=name, hostnames=renderer.site_hostnames(text)))
    return found


@login_required
@require_GET
def gateway_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("The gateway page is for operators.")
    return render(
        request,
        "routing/gateway.html",
        {
            "gateway": state.current(),
            "namespace": settings.BERTH_NAMESPACE,
            "routes": live_routes(),
            "nodes": Node.objects.all(),
            "portal": portal.status(),
        },
    )
