"""What every app page stands on: the app, fetched through the one scoped helper."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse

from apps import routes, selectors
from apps.models import App
from paas.access import Level
from paas.portal import TeamRequest, render_team


def team_app(request: TeamRequest, name: str, level: Level = Level.READ) -> App:
    """The app of the URL's team; 404 for another team's app, 403 below ``level``."""
    app = selectors.get_app(request.principal, name, level)
    if app.team_id != request.team.pk:
        raise Http404
    return app


def render_app(
    request: TeamRequest,
    app: App,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    tab: str = "overview",
    status: int = 200,
) -> HttpResponse:
    base = {
        "app": app,
        "tab": tab,
        "url": routes.url(app),
        "can_deploy": request.level >= Level.DEPLOY,
        "extra_css": True,
    }
    return render_team(request, template, {**base, **(context or {})}, status=status)
